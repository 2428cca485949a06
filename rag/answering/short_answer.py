"""How a short answer leads an answer's text ("€40 billion. — Nevertheless, … [1]"), and the
spans a sentence offers: runs of capitalised words, amounts, dates, quoted titles, content words
(what a comparison of outlets names in common).

The short answer itself is the best-supported candidate of :mod:`evidence`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rag.domain.folding import phrase_form
from rag.domain.text import STOPWORDS
from rag.domain.timeparse import MONTHS, WEEKDAYS

_SCALE = r"(?:\s(?:million|billion|trillion|thousand|hundred)\b)?"
_AMOUNT = re.compile(
    rf"(?:[$€£¥]\s?)?\d[\d,.]*\d?(?:\s?(?:%|percent\b|per cent\b))?{_SCALE}"
    r"(?:\s(?:euros|dollars|pounds|yen|people|years|days|points|votes))?"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?:{_MONTH} \d{{1,2}}(?:, (?:19|20)\d\d)?|\d{{1,2}} {_MONTH}(?: (?:19|20)\d\d)?"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|(?:19|20)\d\d)\b"
)
# Capitalised words, joined by the small words names hold ("Bank of England", "Jay-Z", "Voyager 1").
_NAME = re.compile(
    rf"\b[A-Z][\w'’&-]*(?:\s(?:of|the|de|del|da|van|von|&|for)?\s?"
    rf"(?!(?:{_MONTH})\s\d)[A-Z0-9][\w'’&-]*)*"
)
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,80})[\"”]")
_WORD = re.compile(r"\b[a-z][a-z'-]{3,}")
_LEADING = re.compile(r"^(?:The|A|An|In|On|At|But|And|For|After|While|If|As)\s+")
_POSSESSIVE = re.compile(r"['’]s$")
_CALENDAR = frozenset(w.casefold() for w in (*MONTHS, *WEEKDAYS))


# "Ukraine. — Kyiv's defence minister said … [1]": the short answer, then the quoted sentences.
SEPARATOR = ". — "
_LEADING_SHORT = re.compile(r"^[^\[\]\n]{1,120}?\. — ")


def lead_with(short: str, text: str) -> str:
    return f"{short.rstrip('.')}{SEPARATOR}{text}"


def without_short_answer(text: str) -> str:
    """An answer's text without the short answer that leads it (a follow-up compares sentences)."""
    return _LEADING_SHORT.sub("", text, count=1)


class SpanKind:
    NAME = "name"
    NUMBER = "number"
    DATE = "date"
    QUOTED = "quoted"
    PHRASE = "phrase"


@dataclass(frozen=True)
class Span:
    text: str
    kind: str
    start: int  # character offset in its sentence
    sentence: int  # which of the answer's sentences (0: the first)


def spans_of(sentence: str, index: int = 0) -> list[Span]:
    """Every span a short answer could be, each text once, in order of appearance."""
    found: dict[str, Span] = {}
    taken: list[tuple[int, int]] = []  # what a date, amount or name already covers

    def add(text: str, kind: str, start: int) -> None:
        text = text.strip(" ,.;:!?—–-()[]")
        key = phrase_form(text)
        if key.strip() and key not in found:
            found[key] = Span(text, kind, start, index)
            taken.append((start, start + len(text)))

    def free(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b for a, b in taken)

    for m in _QUOTED.finditer(sentence):
        add(m.group(1), SpanKind.QUOTED, m.start(1))
    taken.clear()  # a quoted title's words may still be answers on their own
    for m in _DATE.finditer(sentence):
        add(m.group(0), SpanKind.DATE, m.start())
    for m in _AMOUNT.finditer(sentence):
        if free(m):
            add(m.group(0), SpanKind.NUMBER, m.start())
    for m in _NAME.finditer(sentence):
        text = _POSSESSIVE.sub("", _LEADING.sub("", m.group(0)))
        if free(m) and text.casefold() not in _CALENDAR and text.casefold() not in STOPWORDS:
            add(text, SpanKind.NAME, m.start() + m.group(0).find(text))
    words = [m for m in _WORD.finditer(sentence) if m.group(0) not in STOPWORDS and free(m)]
    for m in words:
        add(m.group(0), SpanKind.PHRASE, m.start())
    for a, b in itertools.pairwise(words):
        if sentence[a.end() : b.start()] == " ":
            add(f"{a.group(0)} {b.group(0)}", SpanKind.PHRASE, a.start())
    return sorted(found.values(), key=lambda s: (s.sentence, s.start))
