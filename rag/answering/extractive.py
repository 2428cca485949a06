"""The offline answerer: the retrieved sentences that best answer the question, each cited.

A sentence's support score mixes its passage's embedding similarity to the question (computed by
retrieval) with how much of the question's rarer words the sentence contains (IDF over the
candidate sentences), plus a small bonus when it holds the kind of thing the question asks for (a
number for "how much", a date for "when"). Nothing is embedded here: embedding the sentences
cost ~10 ms each on one thread, several times the whole retrieval. Below ``min_score`` nothing
supports an answer and the answerer declines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from rag.answering.citations import without_markers
from rag.answering.untrusted import instruction_free
from rag.domain.models import Passage
from rag.domain.text import content_terms, ends_sentence, names, split_sentences

DENSE_WEIGHT = 0.65
LEXICAL_WEIGHT = 0.35
TYPE_BONUS = 0.08
KEEP_WITHIN = 0.10  # sentences this close to the best one join the answer
MIN_WORDS = 4
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|"
    r"thousand|million|billion|trillion|percent|dozen)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(?:\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{1,2}|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{4}|yesterday|today|"
    r"tomorrow|week|month|year)\b",
    re.I,
)
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(
            r"^\s*(?:how (?:much|many|large|big|long|old)|what (?:percentage|amount|number))", re.I
        ),
        _NUMBER,
    ),
    (
        re.compile(r"^\s*(?:(?:on|in|at|by) )?(?:when|what (?:date|day|year|month|time))\b", re.I),
        _DATE,
    ),
)


# The frame of "what did X report/say/write": it asks for X's account; the sentence that gives it
# need not repeat the verb, so these words do not count for or against support.
_FRAME = frozenset(
    content_terms(
        "report say tell write claim state describe announce mention cover coverage according"
        " wrote told stated described announced mentioned covered"
    )
)


@dataclass(frozen=True)
class Drafted:
    """The chosen sentences, each ending in the marker of its passage's place in the list the
    answerer was given (``[3]``: the third passage); the citation check numbers and quotes."""

    sentences: list[str]
    declined: bool


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    sentence: str
    terms: frozenset[str]


class ExtractiveAnswerer:
    def __init__(self, max_sentences: int, min_score: float) -> None:
        self.max_sentences = max_sentences
        self.min_score = min_score

    def answer(
        self, question: str, passages: list[Passage], previous: frozenset[str] = frozenset()
    ) -> Drafted:
        """``previous``: the sentences of the answer just given in this conversation (folded by
        :func:`folded`); a follow-up never gets all of them again, only the one that answers."""
        candidates = _candidates(passages)
        if not candidates or _missing_names(question, passages):
            return Drafted([], declined=True)
        ranked = sorted(_scores(question, passages, candidates), key=lambda sc: -sc[0])
        wanted = _wanted_pattern(question)
        if wanted is not None:
            # "How many" with no number anywhere, "when" with no date: the passages do not say.
            typed = [sc for sc in ranked if wanted.search(sc[1].sentence)]
            if not typed:
                return Drafted([], declined=True)
            # The sentence that carries what is asked comes first.
            ranked = [typed[0]] + [sc for sc in ranked if sc is not typed[0]]
        best = ranked[0][0]
        if best < self.min_score:
            return Drafted([], declined=True)
        chosen: list[_Candidate] = []
        for score, candidate in ranked:
            if len(chosen) == self.max_sentences or score < best - KEEP_WITHIN:
                break
            if not any(_similar(candidate, other) for other in chosen):
                chosen.append(candidate)
        if len(chosen) > 1 and all(folded(c.sentence) in previous for c in chosen):
            chosen = chosen[:1]  # nothing new beside it: the best-supported one alone answers
        place = {p.chunk_id: number for number, p in enumerate(passages, start=1)}
        cited = [f"{c.sentence} [{place[c.passage.chunk_id]}]" for c in chosen]
        return Drafted(cited, declined=False)


def folded(sentence: str) -> str:
    """A sentence's words, for recognising it again (case, spacing and markers aside)."""
    return " ".join(re.findall(r"\w+", without_markers(sentence).casefold()))


def _scores(
    question: str, passages: list[Passage], candidates: list[_Candidate]
) -> list[tuple[float, _Candidate]]:
    coverage = _coverage(question, candidates)
    similarity = _passage_similarity(passages)
    wanted = _wanted_pattern(question)
    scored = []
    for candidate, covered in zip(candidates, coverage, strict=True):
        bonus = TYPE_BONUS if wanted and wanted.search(candidate.sentence) else 0.0
        dense = similarity[candidate.passage.chunk_id]
        scored.append((DENSE_WEIGHT * dense + LEXICAL_WEIGHT * covered + bonus, candidate))
    return scored


def _passage_similarity(passages: list[Passage]) -> dict[str, float]:
    """Each passage's cosine similarity to the question; one found only by its words counts as
    no closer than the farthest passage the vectors found."""
    dense = [p.dense_score for p in passages if p.dense_score > 0]
    floor = min(dense, default=0.0)
    return {p.chunk_id: p.dense_score if p.dense_score > 0 else floor for p in passages}


def _coverage(question: str, candidates: list[_Candidate]) -> list[float]:
    """Share of the question's words (IDF-weighted over the candidates) each sentence holds."""
    question_terms = set(content_terms(question)) - _FRAME
    document_frequency = Counter(t for c in candidates for t in c.terms)
    idf = {t: math.log(1 + len(candidates) / (1 + document_frequency[t])) for t in question_terms}
    total = sum(idf.values()) or 1.0
    return [sum(idf[t] for t in question_terms & c.terms) / total for c in candidates]


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    """Every sentence of the passages once (overlapping chunks repeat sentences)."""
    seen: set[str] = set()
    candidates = []
    for passage in passages:
        for sentence in split_sentences(instruction_free(passage.text)):
            key = " ".join(sentence.casefold().split())
            if len(sentence.split()) < MIN_WORDS or key in seen or not ends_sentence(sentence):
                continue
            seen.add(key)
            terms = frozenset(content_terms(sentence))
            candidates.append(_Candidate(passage, sentence, terms))
    return candidates


def _missing_names(question: str, passages: list[Passage]) -> list[str]:
    """Names the question asks about (capitalised words after its first) that no passage has.

    A passage about the right topic but not the named party ("What did China say about the
    plan?") does not answer; names match on their first five letters (Zelensky, Zelenskyy).
    """
    asked = names(question)
    text = " ".join(f"{p.outlet} {p.title} {p.text}" for p in passages).casefold()
    return [n for n in asked if n.casefold()[:5] not in text]


def _wanted_pattern(question: str) -> re.Pattern[str] | None:
    for asks, answer_shape in _QUESTION_TYPES:
        if asks.search(question):
            return answer_shape
    return None


def _similar(a: _Candidate, b: _Candidate) -> bool:
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) > 0.6
