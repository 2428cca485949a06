"""The offline answerer: the sentences of the retrieved articles that answer the question, each
cited, the one that answers first.

Its rules, in order (README, "How the offline answerer answers"):

1. It reads every sentence of the retrieved passages' whole articles (:mod:`candidates`).
2. A name the question asks about that no article holds: decline ("What did China say?").
3. A sentence may answer only if it carries what the question asks for (:mod:`asked`): a number
   for "how many", a date for "when", a name the question did not give for "who", "where" and
   "which company"; and the question's focus (at least one of its words or numbers); and, for
   "what did X say", an account attributed to X (X named beside a verb of saying or a quote).
   A question that names an outlet ("What did NewsTrack report ...") is answered from that
   outlet's articles alone; one that says "he" or "they" with no one to refer to, not at all.
   No such sentence: decline.
4. The sentences are scored by the cheap ranker, a learned logistic model over their features
   (:mod:`features`, :mod:`selection`). With the reader (:mod:`reader`), its best few are read
   again beside the question and the two scores combined; the confidence, learned too, reads
   the best scores, the article's rank and age. With the evidence (:mod:`evidence`), the names,
   numbers and dates the sentences hold are weighed as candidate answers by how much of the
   news supports them, and a sentence gains with its best candidate's probability.
5. The best sentence comes first; others join it only from its own article, within
   ``keep_within`` of its score and when they do not repeat a chosen one, up to
   ``max_sentences``. A comparison ("how do the outlets' reports differ", two outlets named)
   gets each outlet's best sentence instead, side by side (:mod:`comparison`).
   With the calibration (:mod:`calibration`) the confidence is recalibrated over what was
   weighed. The best candidate leads as the short answer when the evidence model is sure of it
   and the first sentence holds it. Under ``min_confidence``: decline.
6. A follow-up never gets the previous answer again: of its sentences only the best one may
   answer, and only when it is the best of all.

Nothing is embedded here: embedding the sentences cost ~10 ms each on one thread, several times
the whole retrieval, and measured no better than the article's own similarity; the reader reads
question and sentence together instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from rag.answering.asked import Asked, Kind, novel_names, person_names, read_question
from rag.answering.calibration import Calibration, Evidence
from rag.answering.candidates import Candidate, candidates, index_of
from rag.answering.comparison import side_by_side
from rag.answering.evidence import Answerable, EvidenceModel, Weighed
from rag.answering.features import (
    DATE,
    NUMBER,
    Matrix,
    idf_coverage,
    question_features,
    sentence_features,
)
from rag.answering.followup import split_carried
from rag.answering.reader import ReaderJudge
from rag.answering.selection import SelectionModel
from rag.domain.folding import sentence_key
from rag.domain.models import ArticleChunk, Passage, Support
from rag.domain.text import names
from rag.domain.timeparse import Window

_SAYING = (
    r"(?:say|says|said|tell|tells|told|remark\w*|add(?:s|ed)|stat(?:es|ed)|not(?:es|ed)"
    r"|stress\w*|emphasi[sz]\w*|affirm\w*|reaffirm\w*|clarif\w*|confirm\w*|characteri[sz]\w*"
    r"|describ\w*|call(?:s|ed)|warn\w*|announc\w*|argu\w*|insist\w*|reiterat\w*|according to"
    r"|underscor\w*|believ\w*|wr(?:ote|ites)|claim\w*|acknowledg\w*|highlight\w*|urg\w*"
    r"|declar\w*|explain\w*|admit\w*|repl\w*|respond\w*|report\w*|reckon\w*|think\w*)"
)
# Verbs after which the speaker comes, closing the clause: "according to Rutte," "said Rutte."
_SAID_BY = r"(?:according to|said|says|added|wrote|asked|noted|explained|remarked|told)"
_THEY_SAID = re.compile(rf"[\"“”].*\b(?:he|she|they) {_SAYING}\b", re.I)


@dataclass(frozen=True)
class Drafted:
    """The chosen sentences, each ending in the marker of its passage's place in ``passages``
    (``[3]``: the third); the citation check numbers and quotes."""

    sentences: list[str]
    declined: bool
    passages: list[Passage]  # the passages given, then any other chunk of their articles cited
    confidence: float | None = None  # that the answer is right (None: nothing could answer)
    short_answer: str | None = None  # the answering span, shown before the sentences
    evidence: Evidence | None = None  # what was weighed (None: nothing could answer)
    note: str = ""  # a comparison's: what the outlets agree on, who is silent (not a quote)
    support: Support | None = None  # the short answer's other articles and outlets
    weighed: Weighed | None = None  # the candidates and their probabilities (training reads)


class ExtractiveAnswerer:
    def __init__(
        self,
        max_sentences: int,
        min_confidence: float | None = None,
        model: SelectionModel | None = None,
        judge: ReaderJudge | None = None,
        calibration: Calibration | None = None,
        short_answers: bool = False,
        evidence: EvidenceModel | None = None,
    ) -> None:
        """``min_confidence``: None takes the threshold chosen with the last stage in use (the
        calibration's, the reader's, or the cheap ranker's) on its held-out year."""
        self.max_sentences = max_sentences
        self.model = model or SelectionModel.load()
        self.judge = judge  # the reader; None: the cheap ranker alone (BYLINE_READER=off)
        self.calibration = calibration  # None: the answerer's own confidence
        self.short_answers = short_answers  # the best-supported candidate leads the sentences
        self.evidence = evidence  # None: sentences alone, no candidates weighed
        chosen = judge.threshold if judge is not None else self.model.threshold
        if calibration is not None:
            chosen = calibration.threshold
        self.min_confidence = chosen if min_confidence is None else min_confidence

    def answer(
        self,
        question: str,
        passages: list[Passage],
        previous: frozenset[str] = frozenset(),
        articles: Mapping[str, Sequence[ArticleChunk]] | None = None,
        present: datetime | None = None,
        window: Window | None = None,
        outlets: tuple[str, ...] = (),
        asked_as: str | None = None,
    ) -> Drafted:
        """``question``: what is scored for support (the outlet and time words taken out);
        ``asked_as``: the question as the user asked it, which the reader reads (default
        ``question``); ``previous``: the sentence keys (``sentence_key``, markers removed) of
        the answer just given in this conversation; ``articles``: the passages' whole
        articles, each chunk in order; ``present``: when the news is read (articles' ages
        count from it; default now); ``window``: the time the question names; ``outlets``:
        the outlets it names, whose account alone answers."""
        declined = Drafted([], declined=True, passages=passages)
        found = candidates(passages, articles or {}, present or datetime.now(UTC))
        if not found or missing_names(question, found):
            return declined
        reading = read(question, found, window, outlets)
        if reading.asked.source:
            return self._source(question, passages, articles, present, window, outlets)
        if not reading.asked.focus and (outlets or window):
            # "What did ICARO report on October 17?": it asks for the news itself, nothing in
            # particular: the leads of what the outlet published then.
            return _leads(found, passages, window, outlets) or declined
        if not reading.eligible:
            return declined
        eligible = [found[i] for i in reading.eligible]
        scores = cheap = self.model.sentence_scores(reading.features)
        keep_within = self.model.keep_within
        if self.judge is None:
            confidence = self.model.confidence(question_features(reading.features, scores))
        else:
            judged = self.judge.judge(asked_as or question, eligible, reading.features, scores)
            scores, confidence = judged.scores, judged.confidence
            keep_within = self.judge.keep_within
        weighed = None
        if self.evidence is not None:  # a sentence holding a well-supported candidate gains
            weighed = self.evidence.weigh(question, reading.asked, found, reading.eligible, scores)
            scores = scores + np.array([weighed.lift.get(i, 0.0) for i in reading.eligible])
        # A follow-up never gets the previous answer again: of its sentences only the best
        # one may answer, when it is the best of all (rule 6).
        best = int(np.argmax(scores))
        kept = [
            i
            for i, c in enumerate(eligible)
            if i == best or (np.isfinite(scores[i]) and sentence_key(c.sentence) not in previous)
        ]
        note = ""
        if reading.asked.compares or len(outlets) > 1:  # each outlet's own account, side by side
            compared = side_by_side(eligible, scores, cheap, outlets)
            chosen, note = compared.chosen, compared.note
        else:
            chosen = choose(eligible, scores, kept, self.max_sentences, keep_within, True)
        lead = None
        if weighed is not None and self.short_answers and not note and not reading.asked.polar:
            lead = _lead(weighed, self.evidence, index_of(chosen[0], found))
        evidence = Evidence(
            reading.asked, found, eligible, reading.features, scores, chosen, confidence, weighed
        )
        if self.calibration is not None:
            confidence = self.calibration.of(evidence)
        if confidence < self.min_confidence:
            return Drafted(
                [], declined=True, passages=passages, confidence=confidence, evidence=evidence
            )
        sentences, cited = _marked(chosen, passages, by_outlet=bool(note))
        short_answer = lead.text if lead is not None else None
        support = _support(lead, found, chosen[0]) if lead is not None else None
        return Drafted(
            sentences, False, cited, confidence, short_answer, evidence, note, support, weighed
        )

    def _source(
        self,
        question: str,
        passages: list[Passage],
        articles: Mapping[str, Sequence[ArticleChunk]] | None,
        present: datetime | None,
        window: Window | None,
        outlets: tuple[str, ...],
    ) -> Drafted:
        """ "Which outlet reported that, and when?": the answer to what the conversation was
        about (the carried context), each sentence led by its outlet, and who published it when
        (a note, not a quote)."""
        _, carried = split_carried(question)
        drafted = self.answer(carried, passages, frozenset(), articles, present, window, outlets)
        if drafted.declined:
            return drafted
        led: list[str] = []
        reported: dict[str, Passage] = {}
        for sentence in drafted.sentences:
            number = _MARKER.search(sentence)
            passage = drafted.passages[int(number[1]) - 1] if number else None
            if passage is None:
                continue
            led.append(f"{passage.outlet}: {sentence}")
            reported.setdefault(passage.article_id, passage)
        said = [
            f"{p.outlet} on {(p.published_at or 'an undated day')[:10]}" for p in reported.values()
        ]
        note = f"Reported by {', '.join(said)}." if said else ""
        return replace(drafted, sentences=led, note=note, short_answer=None, support=None)


LEADS = 2  # articles whose lead answers "what did X report on D?"
_MARKER = re.compile(r"\[(\d+)\]\s*$")


def _leads(
    found: list[Candidate], passages: list[Passage], window: Window | None, outlets: tuple[str, ...]
) -> Drafted | None:
    """The first sentence of each of the best articles of the named outlets inside the named
    time, cited; None when no article is."""
    named = {o.casefold() for o in outlets}
    firsts: dict[str, Candidate] = {}
    for c in found:  # in article order, each article's sentences in order
        head = c.passage
        if named and head.outlet.casefold() not in named:
            continue
        if window is not None and not window.holds(head.published_ts):
            continue
        firsts.setdefault(head.article_id, c)
    best_first = dict.fromkeys(p.article_id for p in passages if p.article_id in firsts)
    chosen = [firsts[article] for article in list(best_first)[:LEADS]]
    if not chosen:
        return None
    sentences, cited = _marked(chosen, passages, by_outlet=False)
    return Drafted(sentences, False, cited)


def _marked(
    chosen: list[Candidate], passages: list[Passage], by_outlet: bool
) -> tuple[list[str], list[Passage]]:
    """Each chosen sentence with the marker of its passage's place, and the passages cited: the
    retrieved ones, then any other chunk of their articles a sentence came from."""
    cited = list(passages)
    place = {p.chunk_id: number for number, p in enumerate(cited, start=1)}
    sentences = []
    for c in chosen:
        if c.passage.chunk_id not in place:
            cited.append(c.passage)
            place[c.passage.chunk_id] = len(cited)
        said = f"{c.passage.outlet}: {c.sentence}" if by_outlet else c.sentence
        sentences.append(f"{said} [{place[c.passage.chunk_id]}]")
    return sentences, cited


def _lead(weighed: Weighed, model: EvidenceModel | None, first: int) -> Answerable | None:
    """The best candidate, when the model is sure of it and the answer's first sentence holds
    it (the short answer never changes which sentences answer)."""
    best = weighed.best()
    if model is None or best < 0 or weighed.probabilities[best] < model.short_threshold:
        return None
    answerable = weighed.candidates.answerable[best]
    return answerable if first in answerable.holders else None


def _support(answerable: Answerable, found: list[Candidate], cited: Candidate) -> Support:
    """The other articles that hold the short answer (copies of one wire story, whose sentences
    are read once, count once) and every outlet that does."""
    held = [found[i] for i in answerable.holders]
    articles = {c.passage.article_id for c in held} - {cited.passage.article_id}
    outlets = {c.passage.outlet for c in held}
    return Support(len(articles), len(outlets))


def choose(
    found: list[Candidate],
    scores: npt.NDArray[np.float64],
    eligible: list[int],
    most: int,
    keep_within: float,
    same_article: bool = False,
) -> list[Candidate]:
    """Rule 5: the best eligible sentence, then others within ``keep_within`` of its score that
    do not repeat a chosen one, up to ``most``; with ``same_article``, only its own article's
    (an answer cites the outlet that said it, not another that happens to score near)."""
    ranked = sorted(eligible, key=lambda i: -scores[i])
    best = scores[ranked[0]]
    article = found[ranked[0]].passage.article_id
    chosen: list[Candidate] = []
    for i in ranked:
        if len(chosen) == most or scores[i] < best - keep_within:
            break
        if same_article and found[i].passage.article_id != article:
            continue
        if not any(_similar(found[i], other) for other in chosen):
            chosen.append(found[i])
    return chosen


@dataclass(frozen=True)
class Reading:
    asked: Asked
    eligible: list[int]  # the candidates that may answer (rule 3)
    features: Matrix  # theirs, a row each, in SENTENCE_FEATURES order


def read(
    question: str,
    found: list[Candidate],
    window: Window | None,
    outlets: tuple[str, ...] = (),
) -> Reading:
    """What the question asks, which candidates answer as asked, and their features (one
    function for the answerer and its training, so both read alike)."""
    asked = read_question(question)
    if asked.unresolved:  # "Did he endorse it?" with no one to be "he": nothing answers
        return Reading(asked, [], sentence_features(asked, found, window, [], []))
    coverage = idf_coverage(asked, found)
    named = {o.casefold() for o in outlets}
    eligible = [
        i
        for i, c in enumerate(found)
        if answers_as_asked(c, coverage[i], asked)
        and (not named or c.passage.outlet.casefold() in named)
    ]
    return Reading(asked, eligible, sentence_features(asked, found, window, coverage, eligible))


def answers_as_asked(candidate: Candidate, coverage: float, asked: Asked) -> bool:
    """Rule 3: the sentence carries the kind of answer asked for, the question's focus (one of
    its words or numbers: demanding a share of them cost 3 to 8 points of dev accuracy, the
    answers to long questions holding few of their words), and, for "what did X say", X's
    account."""
    sentence = candidate.sentence
    # A follow-up's own words must be met: its carried context alone is the previous topic.
    own = not asked.own or bool(asked.own & candidate.terms)
    on_focus = own and (coverage > 0 or any(n in sentence for n in asked.numbers))
    return on_focus and _carries(candidate, asked) and _attributed(candidate, asked)


def _carries(candidate: Candidate, asked: Asked) -> bool:
    sentence = candidate.sentence
    if asked.kind is Kind.NUMBER:
        counted = not asked.counted or bool(asked.counted & candidate.terms)
        return counted and bool(NUMBER.search(sentence))
    if asked.kind is Kind.DATE:
        # "When will Ukraine join NATO?": a date of anything else is not when it joins.
        event = not asked.event or bool(asked.event & candidate.terms)
        return event and bool(DATE.search(sentence))
    if asked.kind is Kind.PERSON:
        return bool(person_names(sentence, asked))
    if asked.kind in (Kind.PLACE, Kind.ORGANISATION):
        return bool(novel_names(sentence, asked))
    return True


def _attributed(candidate: Candidate, asked: Asked) -> bool:
    """X speaks in the sentence: named just before a verb of saying ("Rutte, the alliance's
    chief, said"), or just after one ("according to Rutte", "said Rutte"); or the sentence is
    a quote "he added" to the sentence before, which names X."""
    if not asked.speaker:
        return True
    sentence = candidate.sentence
    for name in asked.speaker:
        who = rf"\b{re.escape(name[:5])}\w*"
        if re.search(rf"{who}(?:\W+\w+){{0,4}}?\W+{_SAYING}\b", sentence, re.I):
            return True
        if re.search(rf"\b{_SAID_BY}\W+(?:\w+\W+){{0,3}}?{who}\s*(?:[,.;:!?]|$)", sentence, re.I):
            return True
        if _THEY_SAID.search(sentence) and re.search(who, candidate.before, re.I):
            return True
    return False


def missing_names(question: str, found: list[Candidate]) -> list[str]:
    """Names the question asks about (capitalised words after its first) that no article has.

    An article about the right topic but not the named party ("What did China say about the
    plan?") does not answer; names match on their first five letters (Zelensky, Zelenskyy).
    """
    asked = names(question)
    heads = {(c.passage.outlet, c.passage.title) for c in found}
    text = " ".join([*(f"{o} {t}" for o, t in heads), *(c.sentence for c in found)]).casefold()
    return [n for n in asked if n.casefold()[:5] not in text]


def _similar(a: Candidate, b: Candidate) -> bool:
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) > 0.6
