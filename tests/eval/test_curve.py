"""The trade-off curve: a question counts as answered at threshold t when its saved confidence
reaches t; unanswerable ones count as declined under it."""

from __future__ import annotations

from typing import Any

from eval.curve import curve, format_curve


def row(answerable: bool, declined: bool, confidence: float | None, right: bool) -> Any:
    scores = {"accuracy": float(right), "first_sentence_accuracy": float(right)}
    return {
        "answerable": answerable,
        "declined": declined,
        "confidence": confidence,
        "scores": scores if answerable else {},
    }


def test_each_threshold_counts_from_the_saved_confidences() -> None:
    rows = [
        row(True, False, 0.9, True),
        row(True, False, 0.2, False),
        row(True, True, None, False),  # nothing could answer: declined at every threshold
        row(False, False, 0.1, False),
        row(False, False, 0.6, False),
    ]
    low, high = curve(rows, [0.0, 0.5])
    assert (low.answered, low.accuracy, low.decline_recall) == (2, round(1 / 3, 4), 0.0)
    assert (high.answered, high.accuracy_answered, high.decline_recall) == (1, 1.0, 0.5)
    assert high.first_sentence_accuracy == round(1 / 3, 4)


def test_the_short_answer_counts_and_the_default_is_marked() -> None:
    rows = [row(True, False, 0.9, True), row(True, False, 0.3, True)]
    rows[0]["scores"]["short_answer_accuracy"] = 1.0
    points = curve(rows, [0.0, 0.25, 0.5])
    assert [p.short_answer_accuracy for p in points] == [0.5, 0.5, 0.5]
    table = format_curve(points, default=0.25).splitlines()
    assert table[0].endswith("short answer")
    assert [line.endswith("<- default") for line in table[1:]] == [False, True, False]
