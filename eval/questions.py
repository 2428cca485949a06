"""Eval questions from the three datasets, in one shape.

- ``seed``: ``eval/datasets/seed.jsonl`` (expected phrases and outlets, answerable or not; a
  follow-up lists the questions asked before it in the same conversation, ``after``);
- ``realtimeqa``: RealTime QA ``questions-dev.jsonl`` (gold choice among four, question date);
- ``multihop``: MultiHop-RAG ``MultiHopRAG.json`` (answer, question type, gold evidence facts
  with their outlets; ``null_query`` questions have no answer in the corpus).

:func:`time_shifted` makes an unanswerable set of any dated questions: each asked as of a date
before the events it asks about, when no article could hold its answer yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eval.common import load_jsonl

DATASETS = ("seed", "realtimeqa", "multihop")
SEED_QUESTIONS = Path(__file__).parent / "datasets" / "seed.jsonl"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    kind: str  # the question type, for per-type figures
    answerable: bool
    answers: tuple[str, ...] = ()  # gold strings: any one in a passage counts for recall
    choices: tuple[str, ...] = ()  # all choices (RealTime QA): the answer names only the gold
    expected_outlets: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # gold evidence facts (MultiHop-RAG)
    as_of: date | None = None
    all_answers: bool = False  # a right answer holds every gold string (seed phrases)
    after: tuple[str, ...] = ()  # a follow-up: the questions asked before it, in order
    year: int | None = None  # RealTime QA's training years: the year a question belongs to


def load_questions(dataset: str, path: Path) -> list[EvalQuestion]:
    if dataset == "seed":
        return load_jsonl(path, _seed, "a seed question")
    if dataset == "realtimeqa":
        return load_jsonl(path, realtimeqa_question, "a RealTime QA question")
    if dataset == "multihop":
        records = json.loads(path.read_text(encoding="utf-8"))
        return [_multihop(i, record) for i, record in enumerate(records)]
    raise ValueError(f"unknown dataset {dataset!r} (one of {', '.join(DATASETS)})")


def of_year(questions: list[EvalQuestion], year: int | None) -> list[EvalQuestion]:
    """The questions of one training year (``realtimeqa-train``'s ``year``); all for None."""
    if year is None:
        return questions
    kept = [q for q in questions if q.year == year]
    if not kept:
        raise ValueError(f"no question of year {year} (RealTime QA training files give years)")
    return kept


def seed_questions(path: Path = SEED_QUESTIONS) -> list[EvalQuestion]:
    return load_questions("seed", path)


def _seed(record: dict[str, Any]) -> EvalQuestion:
    answerable = bool(record["answerable"])
    return EvalQuestion(
        id=str(record["id"]),
        question=record["question"],
        kind="answerable" if answerable else "unanswerable",
        answerable=answerable,
        answers=tuple(record["expected_phrases"]),
        expected_outlets=tuple(record["expected_outlets"]),
        all_answers=True,
        after=tuple(record.get("after") or ()),
    )


def time_shifted(questions: list[EvalQuestion], days: int) -> list[EvalQuestion]:
    """Each dated question again, asked ``days`` before its date and so unanswerable: RealTime
    QA asks about the week before its date, so at two weeks earlier no article holds the event.
    (An answer may still be true of an older, ongoing story; the figure counts it as a miss.)"""
    return [
        replace(
            q,
            id=f"{q.id}@-{days}d",
            kind="time-shifted",
            answerable=False,
            answers=(),
            choices=(),
            as_of=q.as_of - timedelta(days=days),
        )
        for q in questions
        if q.as_of is not None
    ]


def realtimeqa_question(record: dict[str, Any]) -> EvalQuestion:
    return EvalQuestion(
        id=str(record["id"]),
        question=record["question"],
        kind=str(record.get("quiz_source") or "quiz"),
        answerable=True,
        answers=(record["answer"],),
        choices=tuple(record.get("choices") or ()),
        as_of=date.fromisoformat(record["question_date"]),
        year=record.get("year"),
    )


def _multihop(index: int, record: dict[str, Any]) -> EvalQuestion:
    kind = str(record["question_type"])
    evidence = record.get("evidence_list") or []
    answerable = kind != "null_query"
    return EvalQuestion(
        id=f"mh-{index:04d}",
        question=record["query"],
        kind=kind,
        answerable=answerable,
        answers=(str(record["answer"]),) if answerable else (),
        expected_outlets=tuple(dict.fromkeys(e["source"] for e in evidence)),
        evidence=tuple(e["fact"] for e in evidence),
    )
