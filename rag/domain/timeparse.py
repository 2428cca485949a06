"""Time in questions ("on October 17, 2024", "Oct. 17", "17/10/2024", "last Tuesday", "two weeks
ago", "in mid-October", "between the 10th and the 17th", "this week", "in October 2024", "since
March") as a date window relative to the question's as-of time.

A written calendar day is read by dateparser (its forms, not more patterns of ours); numeric
dates are read day first unless that reading is impossible, then month first ("05/10/2024" is
5 October, "10/13/2024" 13 October). "N days ago" is that day; "N weeks ago" the seven days
around the day N weeks back; "N months ago" that calendar month; early, mid and late October
are its days 1-10, 11-20 and 21 to the end.

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
# Any way a month is written, as one alternation (longest first, so "sept" wins over "sep"):
# the one pattern of month words, for questions (here, retrieval) and pages (ingest.dates).
MONTH_WORDS = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
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


_MONTH_WORD = rf"(?:{MONTH_WORDS})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_PARTS = {"early": (1, 11), "mid": (11, 21), "late": (21, 32)}


def _month_of(word: str) -> int:
    return MONTH_NUMBERS[word.lower().rstrip(".")]


def _written_rules(as_of: datetime) -> list[tuple[re.Pattern[str], Action]]:
    """Calendar dates as people write them; before the relative phrases, so that "on the 17th
    of October" is a day, not the month its "of October" would name."""
    today = _day(as_of)

    def latest(year: str | None, month: int, day: int = 1) -> datetime:
        """The month's day in the year given, else in the latest year it is not after today."""
        if year:
            return datetime(int(year), month, day, tzinfo=UTC)
        moment = datetime(today.year, month, day, tzinfo=UTC)
        return moment if moment <= today else datetime(today.year - 1, month, day, tzinfo=UTC)

    def one_day(m: re.Match[str]) -> Span:
        start = _parsed_day(m.group("date"), as_of)
        return start, start + timedelta(days=1)

    def between(m: re.Match[str]) -> Span:
        first, last = int(m.group("a")), int(m.group("b"))
        named = m.group("am") or m.group("bm")
        if named:
            start = latest(m.group("y"), _month_of(named), first)
            if m.group("bm"):  # "between August 19 and September 30": the second's own month
                last_day = latest(m.group("y"), _month_of(m.group("bm")), last)
                if last_day < start:
                    last_day = last_day.replace(year=last_day.year + 1)
                return start, last_day + timedelta(days=1)
        else:  # "between the 10th and the 17th": this month if the 17th has come, else the last
            month_start = _month_start(today.year, today.month)
            if last > today.day:
                month_start = _month_start(
                    *((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))
                )
            start = month_start.replace(day=first)
        return start, start.replace(day=last) + timedelta(days=1)

    def part_of_month(m: re.Match[str]) -> Span:
        month_start = latest(m.group("year"), _month_of(m.group("month")))
        first, after = _PARTS[m.group("part").lower()]
        end = min(month_start + timedelta(days=after - 1), _next_month(month_start))
        return month_start.replace(day=first), end

    def since_day(m: re.Match[str]) -> Span:
        return _parsed_day(m.group("date"), as_of), as_of

    def ago(m: re.Match[str]) -> Span:
        count = m.group("n").lower()
        n = int(count) if count.isdigit() else _COUNTS[count]
        unit = m.group("unit").lower()
        if unit == "day":
            return today - timedelta(days=n), today - timedelta(days=n - 1)
        if unit == "week":
            middle = today - timedelta(days=7 * n)
            return middle - timedelta(days=3), middle + timedelta(days=4)
        months = today.year * 12 + today.month - 1 - n
        start = _month_start(months // 12, months % 12 + 1)
        return start, _next_month(start)

    day_of_month = rf"\d{{1,2}}{_ORDINAL}"
    day_forms = _day_forms(day_of_month)
    rules: list[tuple[str, Action]] = [
        (
            rf"\bbetween (?:the )?(?P<a>\d{{1,2}}){_ORDINAL}(?: of)?(?: (?P<am>{_MONTH_WORD}))?"
            rf" and (?:the )?(?P<b>\d{{1,2}}){_ORDINAL}(?: of)?(?: (?P<bm>{_MONTH_WORD}))?"
            r"(?:,? (?P<y>\d{4}))?\b",
            between,
        ),
        (
            rf"\bbetween (?P<am>{_MONTH_WORD}) (?P<a>\d{{1,2}}){_ORDINAL} and"
            rf" (?:(?P<bm>{_MONTH_WORD}) )?(?P<b>\d{{1,2}}){_ORDINAL}(?:,? (?P<y>\d{{4}}))?\b",
            between,
        ),
        (
            rf"\b(?:in |during )?(?:the )?(?P<part>early|mid|late)[- ](?P<month>{_MONTH_WORD})"
            r"(?:,? (?P<year>\d{4}))?\b",
            part_of_month,
        ),
        (
            r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,3})"
            r" (?P<unit>day|week|month)s? ago\b",
            ago,
        ),
        (
            rf"\bsince (?P<date>(?:{day_of_month} (?:of )?{_MONTH_WORD}"
            rf"|{_MONTH_WORD} {day_of_month})(?:,? \d{{4}})?)\b",
            since_day,
        ),
        # A day after "on" ("on Oct. 17"); a bare one comes after the relative phrases.
        *((rf"\b(?:on|as of|dated) (?:the )?(?P<date>{form})", one_day) for form in day_forms),
    ]
    return [(re.compile(pattern, re.I), action) for pattern, action in rules]


def _day_forms(day_of_month: str) -> tuple[str, ...]:
    """How a calendar day is written: "17 October 2024", "the 17th of October", "Oct. 17, 2024",
    "2024-10-17", "17/10/2024"."""
    return (
        rf"{day_of_month} (?:of )?{_MONTH_WORD}(?:,? \d{{4}})?(?!\w)",
        rf"{_MONTH_WORD} {day_of_month}(?:,? \d{{4}})?\b",
        r"\d{4}-\d{2}-\d{2}\b",
        r"\d{1,2}[/.]\d{1,2}[/.]\d{4}\b",
    )


def _bare_days(as_of: datetime) -> list[tuple[re.Pattern[str], Action]]:
    """A calendar day with no word before it ("coming July 29"): weaker than a relative phrase
    ("The Jan. 6 committee met this week" asks about this week)."""

    def one_day(m: re.Match[str]) -> Span:
        start = _parsed_day(m.group("date"), as_of)
        return start, start + timedelta(days=1)

    forms = _day_forms(rf"\d{{1,2}}{_ORDINAL}")
    return [(re.compile(rf"\b(?P<date>{form})", re.I), one_day) for form in forms]


def _parsed_day(written: str, as_of: datetime) -> datetime:
    """The calendar day a written date names, by dateparser: day first unless impossible, a
    date without a year the latest one not after as-of; ValueError when it names none."""
    import dateparser

    base = as_of.astimezone(UTC).replace(tzinfo=None)
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    for order in ("DMY", "MDY"):
        found = dateparser.parse(
            written, languages=["en"], settings={**settings, "DATE_ORDER": order}
        )
        if found is not None:
            return datetime.combine(found.date(), time.min, tzinfo=UTC)
    raise ValueError(f"no date in {written!r}")


def time_window(question: str, as_of: datetime) -> Window | None:
    """The first time phrase of ``question`` as a window ending no later than as-of."""
    for pattern, action in [*_written_rules(as_of), *_rules(as_of), *_bare_days(as_of)]:
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
