"""What every training job stands on: one leakage gate for its questions, pools and stores, the
service over a store (pools drawn as serving draws them), and a smoke run's first few.

A job reads its questions through :func:`training_questions` (the judged year's are refused),
its articles through ``JudgedYear.refuses_article`` (the judged year's corpus and dates are
refused), asks them through :func:`components_over` a store ``byline ingest`` built, chooses its
settings on the held-out year's choosing half (:mod:`eval.training.split`) and reports on the
other half.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eval.training.leakage import JudgedYear
from eval.training.pool import TrainingQuestion, load_training_questions
from rag.errors import BylineError
from rag.settings import Settings
from rag.wiring import Components, load_encoder


def components_over(settings: Settings, data_dir: Path) -> Components:
    """The store in ``data_dir`` and the base model (what the training pools are drawn with)."""
    over = settings.updated(data_dir=data_dir)
    return Components.of(over, load_encoder(over))


def gated_store(components: Components, judged: JudgedYear) -> Components:
    """The store, once the gate has found none of the judged year's articles in it (by address
    or date: a store of the training years built through the gate holds none)."""
    refused = [
        head.url or head.title
        for _, head in components.store.article_heads()
        if judged.refuses_article({"url": head.url, "published_at": head.published_at or ""})
    ]
    if refused:
        raise BylineError(
            f"{components.settings.store.data_dir}: {len(refused)} articles of the judged year"
            f" ({', '.join(refused[:3])}, ...): build the training store from articles the gate"
            " admits"
        )
    return components


def training_questions(args: argparse.Namespace) -> tuple[JudgedYear, list[TrainingQuestion]]:
    """What training must never see (the judged year), and the training questions without any
    like one of its questions."""
    judged = JudgedYear.load(args.judged_corpus, args.judged_questions)
    questions = [q for q in load_training_questions(args.questions) if not _refused(q, judged)]
    return judged, questions


def _refused(question: TrainingQuestion, judged: JudgedYear) -> bool:
    asked = question.question
    record = {
        "id": asked.id,
        "year": question.year,
        "question": asked.question,
        "question_date": asked.as_of.isoformat() if asked.as_of else "",
    }
    return judged.refuses_question(record)


def first(items: list[Any], limit: int | None) -> list[Any]:
    """The first ``limit`` items (a smoke run), or all."""
    return items if limit is None else items[:limit]
