"""What the selection model reads of each candidate sentence, and of the question as a whole.

Every feature is on a 0–1-ish scale so that one learned weight vector reads them all. The names
are the columns of the shipped weights (``selection.json``); a feature added here is a column
the weights must be learned again for (``byline train answerer``).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from rag.answering.asked import Asked, Kind, novel_names, terms_of
from rag.answering.candidates import Candidate
from rag.domain.timeparse import Window

Matrix = npt.NDArray[np.float64]

NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|"
    r"thousand|million|billion|trillion|percent|dozen)\b",
    re.I,
)
# A date, not merely a word of time: "17 October", "Oct. 17", "Tuesday", "2024", "yesterday".
DATE = re.compile(
    r"\b(?:\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.? \d{1,2}|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:19|20)\d\d|yesterday|today|tomorrow)\b",
    re.I,
)
# Names beyond the second add nothing: a lead sentence full of them is not the likelier answer
# (capped at 2, out-of-fold dev accuracy 0.254; at 1, 3 and 4: 0.249, 0.240, 0.243).
NAMES_CAP = 2
_QUOTE = re.compile(r"[\"“”]")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
WINDOW_SLACK_S = 2 * 86400  # an article may report an event of the window a day or two early

SENTENCE_FEATURES = (
    "similarity",  # its article's best passage's cosine similarity to the question
    "similarity_gap",  # ... minus the best article's
    "coverage",  # share of the question's words it holds, IDF-weighted over the candidates
    "coverage_gap",  # ... minus the best sentence's
    "article_rank",
    "retrieved",  # in a retrieved chunk, not read from the rest of its article
    "distance",  # chunks away from the retrieved one
    "position",  # how far into its article
    "log_length",
    "phrases",  # share of the question's word pairs it holds
    "title_coverage",  # share of the question's words its article's headline holds
    "lead",  # among its article's first two sentences
    "question_numbers",  # share of the question's numbers it repeats (0.5: the question has none)
    "novel_names",  # names it gives beyond the question's
    "name_beside_focus",  # such a name within three words of a question word ("Minister Umerov")
    "asks_number",
    "number_given",  # a number question and a sentence with a number
    "date_given",
    "person_named",  # a who-question and a novel name
    "place_named",
    "organisation_named",
    "other_named",
    "quote",
    "age",  # log days from publication to as-of
    "fresh",  # published within a week of as-of
    "in_window",  # inside the time the question names ("this week")
    "out_window",  # outside it
)
QUESTION_FEATURES = (
    "best_score",
    "second_score",
    "best_coverage",
    "best_similarity",
    "best_question_numbers",
    "best_title_coverage",
    "best_age",  # the best sentence's
    "least_age",  # the freshest candidate's
    "best_in_window",
    "best_out_window",
    "any_in_window",
)


def sentence_features(
    asked: Asked,
    candidates: Sequence[Candidate],
    window: Window | None,
    coverage: Sequence[float],
    rows_of: Sequence[int],
) -> Matrix:
    """A row for each candidate in ``rows_of`` (the ones that may answer; the rest are never
    scored), columns in ``SENTENCE_FEATURES`` order; gaps are to the best of all candidates.
    ``coverage``: :func:`idf_coverage` of every candidate."""
    if not rows_of:
        return np.zeros((0, len(SENTENCE_FEATURES)))
    best_similarity = max(c.article_similarity for c in candidates)
    best_coverage = max(coverage)
    kind = asked.kind
    rows = []
    for c, covered in ((candidates[i], coverage[i]) for i in rows_of):
        novel = min(len(novel_names(c.sentence, asked)), NAMES_CAP) / NAMES_CAP
        numbers = [n for n in re.findall(r"\d[\d,.]*", c.sentence) if n not in asked.numbers]
        headline = set(terms_of(c.passage.title))
        inside = window is not None and window.holds(c.passage.published_ts, WINDOW_SLACK_S)
        rows.append(
            [
                c.article_similarity,
                c.article_similarity - best_similarity,
                covered,
                covered - best_coverage,
                c.article_rank / 4,
                float(c.retrieved),
                min(c.distance, 3) / 3,
                min(c.position, 30) / 30,
                math.log(len(c.sentence.split())),
                len(asked.pairs & _pairs(c.sequence)) / max(1, len(asked.pairs)),
                len(asked.terms & headline) / max(1, len(asked.terms)),
                float(c.position <= 1),
                _share_of_numbers(asked, c.sentence),
                novel,
                _name_beside_focus(c.sentence, asked),
                float(kind is Kind.NUMBER),
                float(kind is Kind.NUMBER and bool(numbers)),
                float(kind is Kind.DATE and bool(DATE.search(c.sentence))),
                float(kind is Kind.PERSON) * novel,
                float(kind is Kind.PLACE) * novel,
                float(kind is Kind.ORGANISATION) * novel,
                float(kind in (Kind.OTHER, Kind.REASON)) * novel,
                float(bool(_QUOTE.search(c.sentence))),
                math.log1p(c.age_days) / 8,
                float(c.age_days <= 7),
                float(inside),
                float(window is not None and not inside),
            ]
        )
    return np.array(rows, dtype=np.float64)


def question_features(features: Matrix, scores: npt.NDArray[np.float64]) -> Matrix:
    """One row for the question: how well its best sentences answer, how fresh they are."""
    if not len(scores):
        return np.array([[-10.0, -10.0, 0, 0, 0, 0, 1, 1, 0, 0, 0]])
    column = {name: features[:, i] for i, name in enumerate(SENTENCE_FEATURES)}
    order = np.argsort(-scores)
    best = order[0]
    second = scores[order[1]] if len(order) > 1 else scores[best]
    row = [
        scores[best],
        second,
        column["coverage"].max(),
        column["similarity"].max(),
        column["question_numbers"].max(),
        column["title_coverage"].max(),
        *freshness(column, best),
    ]
    return np.array([row], dtype=np.float64)


def freshness(column: dict[str, npt.NDArray[np.float64]], best: int) -> list[float]:
    """The question features of time: the best sentence's age, the freshest one's, and whether
    the best (and any) is inside the window the question names."""
    return [
        float(column["age"][best]),
        float(column["age"].min()),
        float(column["in_window"][best]),
        float(column["out_window"][best]),
        float(column["in_window"].max()),
    ]


def idf_coverage(asked: Asked, candidates: Sequence[Candidate]) -> list[float]:
    """Share of the question's words (IDF-weighted over the candidates) each sentence holds."""
    terms = asked.focus
    document_frequency = Counter(t for c in candidates for t in c.terms)
    idf = {t: math.log(1 + len(candidates) / (1 + document_frequency[t])) for t in terms}
    total = sum(idf.values()) or 1.0
    return [sum(idf[t] for t in terms & c.terms) / total for c in candidates]


def _name_beside_focus(sentence: str, asked: Asked, reach: int = 3) -> float:
    tokens = _tokens(sentence)
    focus = [i for i, t in enumerate(tokens) if set(terms_of(t)) & asked.focus]
    if not focus:
        return 0.0
    for i, token in enumerate(tokens[1:], start=1):
        named = token[0].isupper() and token.casefold() not in asked.words
        if named and any(abs(i - j) <= reach for j in focus):
            return 1.0
    return 0.0


@functools.lru_cache(maxsize=65536)
def _tokens(sentence: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(sentence))


def _share_of_numbers(asked: Asked, sentence: str) -> float:
    if not asked.numbers:
        return 0.5
    return sum(n in sentence for n in asked.numbers) / len(asked.numbers)


def _pairs(terms: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(terms))
