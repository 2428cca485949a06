"""The short answer a reader looks for first ("Ukraine", "$6 billion", "Rishi Sunak"), taken
from the chosen sentences and put before them.

Each sentence offers its spans: runs of capitalised words, amounts, dates, quoted titles, and
the content words and word pairs the question did not use. A logistic model (fitted by ``byline
train calibration`` on the training years) scores each span from what it is, whether it is the
kind of answer asked for, where it stands, and how many articles and outlets name it too (the
same answer in several independent reports is likelier right: AskMSR's redundancy). The best
span is shown only when its probability reaches the threshold chosen on the held-out year.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answering.asked import Asked, Kind, terms_of
from rag.answering.candidates import Candidate
from rag.answering.features import Matrix
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


KINDS = (SpanKind.NAME, SpanKind.NUMBER, SpanKind.DATE, SpanKind.QUOTED, SpanKind.PHRASE)


@dataclass(frozen=True)
class Span:
    text: str
    kind: str
    start: int  # character offset in its sentence
    sentence: int  # which of the answer's sentences (0: the first)


SPAN_FEATURES = (
    *KINDS,
    "asks_number_number",  # a number asked for and this is one
    "asks_date_date",
    "asks_name_name",  # a person, place or organisation asked for, and this is a name
    "asks_other_name",  # "what"/"which" with no kind: a name
    "asks_other_phrase",
    "asks_other_quoted",
    "in_question",  # share of its words the question already holds
    "log_words",
    "position",  # how far into its sentence
    "near_focus",  # closeness to the nearest question word in the sentence
    "first_of_kind",  # the first span of its kind in the sentence
    "later_sentence",  # from a sentence after the answer's first
    "articles",  # log of the articles among the candidates that name it
    "outlets",  # log of their outlets
    "sentences",  # share of the eligible sentences that name it
    "in_headline",  # its article's headline names it
)
NAMED_KINDS = (Kind.PERSON, Kind.PLACE, Kind.ORGANISATION)


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


def span_rows(
    asked: Asked,
    chosen: Sequence[Candidate],
    found: Sequence[Candidate],
    eligible: Sequence[Candidate],
) -> tuple[list[Span], Matrix]:
    """The spans of the ``chosen`` sentences and their features (``SPAN_FEATURES`` columns);
    ``found``: every candidate sentence (whose articles and outlets count agreement),
    ``eligible``: those that may answer."""
    spans = [s for i, c in enumerate(chosen) for s in spans_of(c.sentence, i)]
    if not spans:
        return [], np.zeros((0, len(SPAN_FEATURES)))
    asked_terms = asked.terms
    folded_found = [(phrase_form(c.sentence), c) for c in found]
    folded_eligible = [phrase_form(c.sentence) for c in eligible]
    rows = []
    first_seen: set[tuple[int, str]] = set()
    for span in spans:
        sentence = chosen[span.sentence]
        needle = phrase_form(span.text)
        holders = [c for text, c in folded_found if needle in text]
        articles = {c.passage.article_id for c in holders}
        outlets = {c.passage.outlet.casefold() for c in holders}
        terms = terms_of(span.text)
        in_question = sum(t in asked_terms for t in terms) / len(terms) if terms else 0.0
        first = (span.sentence, span.kind) not in first_seen
        first_seen.add((span.sentence, span.kind))
        kind = asked.kind
        other = kind in (Kind.OTHER, Kind.REASON)
        rows.append(
            [
                *(float(span.kind == k) for k in KINDS),
                float(kind is Kind.NUMBER and span.kind == SpanKind.NUMBER),
                float(kind is Kind.DATE and span.kind == SpanKind.DATE),
                float(kind in NAMED_KINDS and span.kind == SpanKind.NAME),
                float(other and span.kind == SpanKind.NAME),
                float(other and span.kind == SpanKind.PHRASE),
                float(other and span.kind == SpanKind.QUOTED),
                in_question,
                math.log1p(len(span.text.split())),
                span.start / max(1, len(sentence.sentence)),
                _near_focus(sentence.sentence, span, asked_terms),
                float(first),
                float(span.sentence > 0),
                math.log1p(len(articles)),
                math.log1p(len(outlets)),
                sum(needle in text for text in folded_eligible) / max(1, len(folded_eligible)),
                float(needle in phrase_form(sentence.passage.title)),
            ]
        )
    return spans, np.array(rows, dtype=np.float64)


def _near_focus(sentence: str, span: Span, asked_terms: frozenset[str]) -> float:
    """1 beside a question word, falling with the words between them; 0 with none in sight."""
    before = terms_of(sentence[: span.start])
    after = terms_of(sentence[span.start + len(span.text) :])
    gaps = [len(before) - i for i, t in enumerate(before) if t in asked_terms]
    gaps += [i + 1 for i, t in enumerate(after) if t in asked_terms]
    return 1 / min(gaps) if gaps else 0.0
