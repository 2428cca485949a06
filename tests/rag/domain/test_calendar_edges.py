"""Dates at the calendar's edges (year 1, year 9999, years that do not exist) never break
answering: the time parser and the retriever's bounds stay inside the representable range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.domain.timeparse import time_window
from rag.retrieval.retriever import Bounds, Query, day_end, day_start
from tests.rag.domain.test_timeparse import AS_OF

PHRASES = [
    "today", "yesterday", "this week", "last week", "last weekend", "this month", "last month",
    "this year", "last year", "since January", "in December", "in January 0000",
    "in December 9999", "in March 10000", "on Monday", "last Sunday", "in 2023", "in 1999",
]  # fmt: skip
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.one_of(
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(day_end),
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59), timezones=offsets),
)
questions = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3).map(" and ".join),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(question=questions, as_of=moments)
def test_the_time_parser_never_raises_and_stays_before_as_of(
    question: str, as_of: datetime
) -> None:
    window = time_window(question, as_of)
    if window is not None:
        assert window.start < window.end <= as_of


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    question=questions,
    as_of=moments,
    since=st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31)),
    until=st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31)),
)
def test_the_retrievers_bounds_never_raise(
    question: str, as_of: datetime, since: date | None, until: date | None
) -> None:
    query = Query(
        question,
        5,
        since=day_start(since) if since else None,
        until=day_end(until) if until else None,
        as_of=as_of,
    )
    bounds = Bounds.of(query, as_of)
    assert bounds.where()
    assert bounds.latest <= int(as_of.timestamp())


def test_phrases_past_the_calendar_name_no_window() -> None:
    assert time_window("What did NATO say in January 0000?", AS_OF) is None
    first = datetime.combine(date(1, 1, 3), time.max, tzinfo=UTC)
    assert time_window("What happened last week?", first) is None
    assert time_window("What happened last year?", first) is None
    window = time_window("What happened yesterday?", first)
    assert window is not None and window.start == datetime(1, 1, 2, tzinfo=UTC)


EDGE_QUESTIONS = [
    {"question": "What did NATO say in January 0000?"},
    {"question": "What did NATO say in March 10000?"},
    {"question": "What did NATO say last week?", "as_of": "0001-01-15"},
    {"question": "What did NATO say this year?", "as_of": "0001-01-01"},
    {"question": "What happened last month?", "as_of": "9999-12-31"},
    {"question": "What did Rutte say?", "as_of": "0001-01-01T00:00:00+14:00"},
    {"question": "What did Rutte say?", "since": "0001-01-01", "until": "9999-12-31"},
]


@pytest.mark.parametrize("body", EDGE_QUESTIONS)
def test_edge_dates_are_answered_on_every_route(api: httpx.Client, body: dict[str, str]) -> None:
    plain = api.post("/ask", json=body)
    assert plain.status_code == 200, plain.text
    streamed = api.post("/ask", json={**body, "stream": True})
    assert streamed.status_code == 200 and "event: done" in streamed.text, streamed.text
    options = {k: v for k, v in body.items() if k != "question"}
    chat = api.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": body["question"]}], "byline": options},
    )
    assert chat.status_code == 200, chat.text
