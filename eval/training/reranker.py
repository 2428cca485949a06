"""``byline train reranker``: the passage re-ranker, fitted on the training years' store and
chosen on the held-out year's, both drawn through the service's own retriever.

For each training question, asked as of its date over a store of the training years' articles
built by ``byline ingest``, the retriever's re-ranking pool (the fused candidates and every
passage of the best articles) gives one row per passage; a passage is a positive when its
headline or text holds the gold answer. Only questions with a positive in the pool teach
anything, and only articles the judged year has not seen take part. The regularisation and the
number of articles read whole are chosen by answer recall@10 on the held-out year, measured
through the service's retriever with the model in place, beside the retriever without it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from eval.retrieval import run_retrieval_eval
from eval.training.answerer import fit_logistic
from eval.training.card import write_reranker_card
from eval.training.pool import TrainingQuestion
from eval.training.retriever_examples import allowed_articles
from eval.training.retriever_job import _head, components_over, training_questions
from rag.adapters.embedder import cpu_name
from rag.adapters.lexical import ChunkFacts
from rag.domain.folding import holds_phrase
from rag.models.linear import Linear
from rag.models.shipped import RERANKER, save_reranker
from rag.retrieval.rerank import RERANK_FEATURES, features
from rag.retrieval.retriever import Query, Retriever, day_end
from rag.settings import Settings, Tuning

FIGURE = "10"  # the held-out figure the settings are chosen by: answer recall at 10
STRENGTHS = (0.1, 1.0, 10.0)  # LogisticRegression's C (inverse regularisation)
ARTICLES_READ = (0, 5)  # articles whose every passage joins the pool


@dataclass(frozen=True)
class Rows:
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    questions: int  # with a positive in the pool


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pool_rows(
    retriever: Retriever,
    questions: list[TrainingQuestion],
    allowed: set[str],
    progress: bool = True,
) -> Rows:
    xs, ys, taught = [], [], 0
    for question in tqdm(questions, unit=" questions", disable=not progress, leave=False):
        asked = question.question
        if asked.as_of is None:
            continue
        as_of = day_end(asked.as_of)
        pool = retriever.rerank_pool(Query.bounded(asked.question, 10, as_of=asked.as_of), as_of)
        ids, rows = features(pool)
        # The pool already holds each passage's headline and text: nothing more to read.
        keep = [i for i, c in enumerate(ids) if pool.chunks[c].article_id in allowed]
        labels = np.array(
            [_holds_gold(pool.chunks[ids[i]], asked.answers) for i in keep], dtype=np.float64
        )
        if not labels.any():
            continue
        taught += 1
        xs.append(rows[keep])
        ys.append(labels)
    if not xs:
        return Rows(np.zeros((0, len(RERANK_FEATURES))), np.zeros(0), 0)
    return Rows(np.vstack(xs), np.concatenate(ys), taught)


class RerankerJob:
    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings

    def run(self) -> dict[str, Any]:
        args = self.args
        judged, questions = training_questions(args)
        train = _head([q for q in questions if q.year != args.held_out_year], args.limit)
        held = _head([q.question for q in questions if q.year == args.held_out_year], args.limit)
        allowed = set(allowed_articles(args.articles, judged).values())
        source = components_over(self.settings, args.store)
        held_out = components_over(self.settings, args.held_out_store)
        tuning = self.settings.retrieval.tuning
        base_report = run_retrieval_eval(held_out.retriever(tuning), held, progress=False)
        _log(f"held-out without the re-ranker: R@10 {base_report.recall[FIGURE]:.4f}")
        started = time.monotonic()
        tried: list[dict[str, Any]] = []
        best: tuple[float, Linear, dict[str, Any], int] | None = None
        for articles in ARTICLES_READ:
            over = Tuning.model_validate(tuning.model_dump() | {"rerank_articles": articles})
            rows = self._rows(source.retriever(over), train, allowed, articles)
            _log(f"{articles} articles read whole: {len(rows.y)} rows, {rows.questions} questions")
            for strength in STRENGTHS:
                model = _fit(rows, strength)
                retriever = Retriever(
                    held_out.store, held_out.lexical, held_out.embedder, over, model
                )
                report = run_retrieval_eval(retriever, held, progress=False, pool=True)
                figure = float(report.recall[FIGURE])
                trial = {"articles": articles, "C": strength, **report.summary()}
                tried.append(trial)
                _log(f"  C {strength}: held-out R@10 {figure:.4f}")
                if best is None or figure > best[0]:
                    best = (figure, model, trial, rows.questions)
        assert best is not None
        _, model, chosen, taught = best
        about = {
            "trained_on_years": sorted({q.year for q in train}),
            "training_questions": len(train),
            "questions_with_a_positive": taught,
            "store": str(args.store.name),
            "held_out": {
                "year": args.held_out_year,
                "questions": len(held),
                "chosen_by": f"answer recall@{FIGURE}",
                "without": base_report.summary(),
                "with": chosen,
                "tried": tried,
            },
            "rerank_articles": chosen["articles"],
            "C": chosen["C"],
            "seed": args.seed,
            "seconds": round(time.monotonic() - started),
            "trained_on_cpu": cpu_name(),
        }
        out = args.out or RERANKER
        save_reranker(model, about, out)
        write_reranker_card(out.with_name("MODEL_CARD.md"), about)
        return about

    def _rows(
        self,
        retriever: Retriever,
        train: list[TrainingQuestion],
        allowed: set[str],
        articles: int,
    ) -> Rows:
        """The training rows, cached in ``--work`` by store, questions and pool size."""
        args = self.args
        key = hashlib.sha256(
            json.dumps(
                [str(args.store), [q.question.id for q in train], articles, RERANK_FEATURES]
            ).encode()
        ).hexdigest()[:12]
        cache = args.work / f"reranker-rows-{key}.pkl"
        if cache.is_file():
            with cache.open("rb") as handle:
                return pickle.load(handle)  # type: ignore[no-any-return]  # our own cache
        rows = pool_rows(retriever, train, allowed)
        args.work.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as handle:
            pickle.dump(rows, handle)
        return rows


def _holds_gold(chunk: ChunkFacts, answers: Sequence[str]) -> bool:
    return any(holds_phrase(f"{chunk.headline}\n{chunk.text}", a) for a in answers)


def _fit(rows: Rows, strength: float) -> Linear:
    if len(set(rows.y.tolist())) < 2:
        raise ValueError("the training pools hold no positive and negative both")
    return fit_logistic(rows.x, rows.y, RERANK_FEATURES, strength)
