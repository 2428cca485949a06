"""What a question asks about, apart from where and when it asks it.

The words that name an outlet ("according to ICARO", "What did NewsTrack say") or a time ("on 17
October 2024", "this week") act as filters and priors in retrieval; left in the text that is
embedded and scored for support, they only pull the question away from the passages that answer
it (no article's text says "according to ICARO"). ``understand`` takes them out and says what
they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rag.domain.timeparse import MONTH_WORDS as _MONTHS
from rag.domain.timeparse import Window, time_window

# Calendar dates the time rules leave to the date filters ("on 17 October 2024", "October 17,
# 2024", "2024-10-17"): a filter by itself never drops them from the text.
_DATES = re.compile(
    r"\b(?:on |as of |from |dated? )?(?:"
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})\.?(?:,? \d{{4}})?"
    rf"|(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|(?:in |during )?(?:{_MONTHS}) \d{{4}}"
    r")\b",
    re.I,
)
# Frames around an outlet's name that only say "this outlet's account" go with the name; a verb
# after it ("What did CNN report") stays: what was said is part of the question.
_ATTRIBUTION = (
    r"(?:according to|as reported by|reported by|in|from|by|per) (?:the )?{name}(?:['’]s)?"
    r"|{name}(?:['’]s)?"
)


@dataclass(frozen=True)
class Understood:
    text: str  # what is embedded and scored for support
    window: Window | None
    outlets: tuple[str, ...]


def understand(
    question: str,
    as_of: datetime,
    outlets_in: Callable[[str], list[tuple[str, str]]],
) -> Understood:
    """``outlets_in(question)`` gives each outlet mention as (outlet, text as written)."""
    window = time_window(question, as_of)
    mentions = outlets_in(question)
    text = question
    for _, written in mentions:
        pattern = re.compile(
            r"(?<!\w)(?:" + _ATTRIBUTION.format(name=re.escape(written)) + r")(?!\w)", re.I
        )
        text = pattern.sub(" ", text)
    if window is not None:
        text = re.compile(re.escape(window.phrase), re.I).sub(" ", text)
    text = _tidy(_DATES.sub(" ", text))
    if len(re.findall(r"\w+", text)) < 2:  # nothing left to ask: keep the question whole
        text = question
    outlets = tuple(dict.fromkeys(outlet for outlet, _ in mentions))
    return Understood(text, window, outlets)


def _tidy(text: str) -> str:
    text = re.sub(r"^[\s,;:]+", "", text)
    text = re.sub(r"\s+([?.!,;:])", r"\1", text)
    text = re.sub(r"([,;:])(?=\s*[?.!]|$)", "", text)
    return " ".join(text.split())
