"""The answerer's trade-off, threshold by threshold, from one run's saved confidences.

The run is made with ``BYLINE_MIN_ANSWER_CONFIDENCE=0`` so that every question that could be
answered was, its confidence saved beside it; at threshold t a question counts as answered when
its confidence is at least t. Unanswerable questions (``time-shifted``) count as declined when
the answerer declined them or their confidence is under t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.runs import QuestionRow


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    accuracy: float
    answered: int
    accuracy_answered: float
    first_sentence_accuracy: float
    decline_recall: float  # over the unanswerable questions (None of them: 0)
    short_answer_accuracy: float = 0.0  # the short answer alone right, over the answerable


def _kept(row: QuestionRow, threshold: float) -> bool:
    confidence = row.get("confidence")
    return not row["declined"] and (confidence is None or confidence >= threshold)


def curve(rows: Sequence[QuestionRow], thresholds: Sequence[float]) -> list[CurvePoint]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    points = []
    for t in thresholds:
        kept = [r for r in answerable if _kept(r, t)]
        right = sum(bool(r["scores"].get("accuracy")) for r in kept)
        first = sum(bool(r["scores"].get("first_sentence_accuracy")) for r in kept)
        short = sum(bool(r["scores"].get("short_answer_accuracy")) for r in kept)
        declined = sum(not _kept(r, t) for r in unanswerable)
        points.append(
            CurvePoint(
                t,
                round(right / max(1, len(answerable)), 4),
                len(kept),
                round(right / max(1, len(kept)), 4),
                round(first / max(1, len(answerable)), 4),
                round(declined / max(1, len(unanswerable)), 4),
                round(short / max(1, len(answerable)), 4),
            )
        )
    return points


def format_curve(points: Sequence[CurvePoint], default: float | None = None) -> str:
    """The table, the row of the service's ``default`` threshold marked."""
    lines = [
        "threshold  accuracy  answered  among answered  first sentence  decline recall"
        "  short answer"
    ]
    for p in points:
        mark = "  <- default" if default is not None and p.threshold == default else ""
        lines.append(
            f"{p.threshold:9.2f}  {p.accuracy:8.4f}  {p.answered:8d}  {p.accuracy_answered:14.4f}"
            f"  {p.first_sentence_accuracy:14.4f}  {p.decline_recall:14.4f}"
            f"  {p.short_answer_accuracy:12.4f}{mark}"
        )
    return "\n".join(lines)
