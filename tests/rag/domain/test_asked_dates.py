"""Dates as people write them in questions, read into the window each means (the variants file
was written before the code that reads them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rag.domain.timeparse import time_window

VARIANTS = json.loads((Path(__file__).parent / "data" / "asked_dates.json").read_text("utf-8"))
AS_OF = datetime.fromisoformat(VARIANTS["as_of"])


def moment(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pytest.mark.parametrize(("question", "start", "end"), VARIANTS["windows"])
def test_a_written_date_is_the_window_it_means(question: str, start: str, end: str) -> None:
    window = time_window(question, AS_OF)
    assert window is not None, question
    assert (window.start, window.end) == (moment(start), moment(end)), window.phrase


@pytest.mark.parametrize("question", VARIANTS["none"])
def test_a_question_naming_no_time_reads_none(question: str) -> None:
    window = time_window(question, AS_OF)
    assert window is None, window


def test_an_ambiguous_numeric_date_is_day_first_unless_impossible() -> None:
    day_first = time_window("What was reported on 05/10/2024?", AS_OF)
    month_first = time_window("What was reported on 10/13/2024?", AS_OF)
    assert day_first is not None and day_first.start.date().isoformat() == "2024-10-05"
    assert month_first is not None and month_first.start.date().isoformat() == "2024-10-13"


def test_a_date_after_as_of_or_off_the_calendar_names_no_window() -> None:
    assert time_window("What happened on 25 October 2024?", AS_OF) is None  # after as-of
    assert time_window("What happened on 31/02/2024?", AS_OF) is None  # no such day


def test_a_bare_date_naming_something_gives_way_to_the_time_asked() -> None:
    """ "The Jan. 6 committee" names a committee; the question asks about this week."""
    window = time_window("The Jan. 6 committee held a hearing this week. Who testified?", AS_OF)
    assert window is not None and window.phrase == "this week"
    bare = time_window("Beyoncé's album comes out July 29. What is it called?", AS_OF)
    assert bare is not None and bare.start.date().isoformat() == "2024-07-29"
