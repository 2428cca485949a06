from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rag.domain.timeparse import time_window

AS_OF = datetime(2024, 10, 23, 15, 0, tzinfo=UTC)  # a Wednesday


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What happened today?", day(2024, 10, 23), AS_OF),
        ("What did he say yesterday?", day(2024, 10, 22), day(2024, 10, 23)),
        ("Who resigned this week?", day(2024, 10, 16), AS_OF),
        ("What happened last week?", day(2024, 10, 14), day(2024, 10, 21)),
        ("What did Rutte say on Monday?", day(2024, 10, 21), day(2024, 10, 22)),
        ("What happened last Wednesday?", day(2024, 10, 16), day(2024, 10, 17)),
        ("Which team won last weekend?", day(2024, 10, 19), day(2024, 10, 21)),
        ("What changed last month?", day(2024, 9, 1), day(2024, 10, 1)),
        ("What happened in October 2024?", day(2024, 10, 1), AS_OF),
        ("Who won the vote in November?", day(2023, 11, 1), day(2023, 12, 1)),
        ("What has changed since March?", day(2024, 3, 1), AS_OF),
        ("What did the minister promise this year?", day(2024, 1, 1), AS_OF),
        ("Which films came out in 2023?", day(2023, 1, 1), day(2024, 1, 1)),
    ],
)
def test_relative_phrases_become_windows_before_as_of(
    question: str, start: datetime, end: datetime
) -> None:
    window = time_window(question, AS_OF)
    assert window is not None
    assert (window.start, window.end) == (start, end)
    assert window.end <= AS_OF


def test_a_question_without_time_has_no_window() -> None:
    assert time_window("Who leads NATO?", AS_OF) is None
