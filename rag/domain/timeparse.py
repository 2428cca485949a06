"""Relative time in questions ("this week", "on Monday", "in October 2024", "since March") as a
date window relative to the question's as-of time.

A window is a prior, not a filter: retrieval favours articles inside it (see
``rag.retrieval.retriever``).
Windows are whole UTC days; a phrase naming a weekday or a month means the latest one at or
before as-of ("on Monday" asked on a Wednesday is two days earlier). A phrase whose window
would leave the calendar (years 1 to 9999) names no window.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january february march april may june july august september october november december".split()
)
# The one month table: every way a date writes a month (its name, three letters, "sept").
MONTH_NUMBERS: dict[str, int] = {
    **{name[:3]: number for number, name in enumerate(MONTHS, start=1)},
    "sept": 9,
    **{name: number for number, name in enumerate(MONTHS, start=1)},
}
_MONTH = "(?P<month>" + "|".join(MONTHS) + ")"
_DAY = "(?P<weekday>" + "|".join(WEEKDAYS) + ")"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    phrase: str

    def holds(self, published: int, slack_s: int = 0) -> bool:
        """Whether a publication time (epoch seconds) falls in the window, opened ``slack_s``
        earlier."""
        return self.start.timestamp() - slack_s <= published < self.end.timestamp()


def _day(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time.min, tzinfo=UTC)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return _month_start(start.year + start.month // 12, start.month % 12 + 1)


def _latest_month(month: int, as_of: datetime) -> datetime:
    year = as_of.year if month <= as_of.month else as_of.year - 1
    return _month_start(year, month)


Span = tuple[datetime, datetime]
Action = Callable[[re.Match[str]], Span]


def _rules(as_of: datetime) -> list[tuple[re.Pattern[str], Action]]:
    """Each phrase and its window. Windows are computed only for a phrase that matched, and may
    raise OverflowError or ValueError at the calendar's edges (``time_window`` skips them)."""
    today = _day(as_of)
    end = as_of

    def days_back(days: int) -> datetime:
        return today - timedelta(days=days)

    def week_start() -> datetime:
        return days_back(today.weekday())

    def month_start() -> datetime:
        return _month_start(today.year, today.month)

    def last_month() -> Span:
        previous = month_start() - timedelta(days=1)
        return _month_start(previous.year, previous.month), month_start()

    def weekend() -> Span:
        saturday = days_back((today.weekday() - 5) % 7)
        return saturday, saturday + timedelta(days=2)

    def month_window(m: re.Match[str]) -> Span:
        month = MONTHS.index(m.group("month").lower()) + 1
        year = m.group("year")
        start = _month_start(int(year), month) if year else _latest_month(month, as_of)
        return start, min(_next_month(start), end)

    def weekday_window(m: re.Match[str]) -> Span:
        back = (today.weekday() - WEEKDAYS.index(m.group("weekday").lower())) % 7
        if m.group("last") and back == 0:
            back = 7
        start = days_back(back)
        return start, min(start + timedelta(days=1), end)

    def since_month(m: re.Match[str]) -> Span:
        return _latest_month(MONTHS.index(m.group("month").lower()) + 1, as_of), end

    def year_window(m: re.Match[str]) -> Span:
        start = datetime(int(m.group("year")), 1, 1, tzinfo=UTC)
        return start, min(datetime(start.year + 1, 1, 1, tzinfo=UTC), end)

    def year_start(year: int) -> datetime:
        return datetime(year, 1, 1, tzinfo=UTC)

    rules: list[tuple[str, Action]] = [
        (r"\btoday\b|\bthis morning\b|\btonight\b", lambda _: (today, end)),
        (r"\byesterday\b", lambda _: (days_back(1), today)),
        (r"\b(?:this|past) weekend\b|\blast weekend\b", lambda _: weekend()),
        (r"\bthis week\b|\bpast week\b|\bthis past week\b", lambda _: (days_back(7), end)),
        (r"\blast week\b", lambda _: (week_start() - timedelta(days=7), week_start())),
        (r"\bthis month\b|\bpast month\b", lambda _: (month_start(), end)),
        (r"\blast month\b", lambda _: last_month()),
        (r"\bthis year\b", lambda _: (year_start(today.year), end)),
        (r"\blast year\b", lambda _: (year_start(today.year - 1), year_start(today.year))),
        (r"\bsince " + _MONTH + r"\b", since_month),
        (r"\b(?:in|during|of) " + _MONTH + r"(?:,? (?P<year>\d{4}))?\b", month_window),
        (r"\b(?:on |(?P<last>last) )" + _DAY + r"\b", weekday_window),
        (r"\bin (?P<year>(?:19|20)\d\d)\b", year_window),
    ]
    return [(re.compile(pattern, re.I), action) for pattern, action in rules]


def time_window(question: str, as_of: datetime) -> Window | None:
    """The first relative-time phrase of ``question`` as a window ending no later than as-of."""
    for pattern, action in _rules(as_of):
        match = pattern.search(question)
        if not match:
            continue
        try:
            start, end = action(match)
        except (OverflowError, ValueError):
            continue  # a window before year 1 or after 9999 ("in January 0000"): no window
        end = min(end, as_of)  # "this weekend" asked on a Saturday ends now, not on Monday
        if start < end:
            return Window(start, end, match.group(0))
    return None
