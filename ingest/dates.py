"""Publication dates as they appear on news pages and in exports, made timezone-aware.

A date without a zone is taken as UTC: a page rarely says its zone, and a fixed rule keeps
date filters predictable. Numeric dates are read day first unless the first number cannot be a day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from rag.domain.timeparse import MONTH_NUMBERS, MONTH_WORDS

_MONTH = f"(?P<month>{MONTH_WORDS})\\.?"
_TIME = (
    r"(?:[,\s]+(?:at\s+)?(?P<hour>\d{1,2})(?:[:h](?P<minute>\d{2}))?(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
_ZONE = r"(?:\s*(?P<zone>utc|gmt|z|[+-]\d{2}:?\d{2}))?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_PREFIX = r"^(?:(?:published|updated|posted|date|last updated)(?:\s+on)?\s*:?\s*)?" + _WEEKDAY
_PATTERNS = [
    re.compile(
        _PREFIX + r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<year>\d{4})" + _TIME + _ZONE + "$"
    ),
    re.compile(
        _PREFIX
        + _MONTH
        + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
        + _TIME
        + _ZONE
        + "$"
    ),
    re.compile(
        _PREFIX
        + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+"
        + _MONTH
        + r",?\s+(?P<year>\d{4})"
        + _TIME
        + _ZONE
        + "$"
    ),
]


def parse_date(text: str) -> datetime | None:
    """A timezone-aware datetime from an ISO string or a date line of a page; None if not a date."""
    text = " ".join(text.split())
    if not text:
        return None
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    lowered = text.lower()
    for pattern in _PATTERNS:
        match = pattern.match(lowered)
        if match:
            return _from_match(match)
    return None


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_match(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("month"):
        month, day = MONTH_NUMBERS[parts["month"]], int(parts["day"])
    else:
        a, b = int(parts["a"]), int(parts["b"])
        day, month = (b, a) if a <= 12 < b else (a, b)
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    ampm = (parts.get("ampm") or "").replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_zone(parts.get("zone")))
    except ValueError:
        return None


def _zone(zone: str | None) -> timezone:
    if not zone or zone in ("utc", "gmt", "z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
