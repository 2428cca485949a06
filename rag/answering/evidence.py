"""Candidates as evidence: every typed name, number and date the read sentences hold, with how
much of the week's news supports it.

News repeats itself, and quiz answers are names, places, organisations, numbers and dates: the
classic factoid systems (AskMSR, Brill et al. 2002; the TREC QA track) answered by counting typed
candidates across many passages. Each candidate here is a name the articles' sentences hold
(read once, at ingest), the question's own names removed and shorter forms merged into the
longer ones they are part of ("Southwest" into "Southwest Airlines"). What supports it: how many
sentences, articles and outlets hold it, the best rank of an article that does, how near the
question's words it stands, how fresh its freshest mention is against the freshest news read
(figures change: an older count repeated must not outvote this week's), whether the expected
type of answer is its type, and how well the answerer scores the sentences that hold it.

A logistic model (``byline train calibration``) turns that into the probability that the candidate
is the answer. The answerer uses it three ways: a sentence holding a well-supported candidate
scores higher, the best candidate leads the answer as its short answer when the model is sure of
it, and the answer says how many other articles and outlets carry it.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.answering.answer_type import AnswerTypes, type_of
from rag.answering.asked import Asked, terms_of
from rag.answering.candidates import Candidate
from rag.domain.folding import phrase_form
from rag.errors import BylineError
from rag.models.linear import Linear
from rag.models.shipped import EVIDENCE

RETRAIN = "byline train calibration"

CANDIDATE_FEATURES = (
    "type",  # the probability that the answer is of the candidate's type
    "no_name",  # ... that the answer is no name at all
    "sentences",  # log of the sentences that hold it
    "articles",  # log of the articles
    "outlets",  # log of the outlets
    "share",  # the share of the articles read that hold it
    "best_article",  # 1 / (1 + the best rank of an article holding it)
    "retrieved",  # a retrieved passage holds it (not only its article)
    "proximity",  # the best share of the question's words in a sentence holding it
    "eligible",  # a sentence that may answer holds it
    "top_sentence",  # the answerer's best sentence holds it
    "sentence_score",  # the best answerer probability of a sentence holding it
    "staleness",  # log days its freshest mention trails the freshest news read
    "in_title",  # a headline of an article holding it names it
    "words",  # log of its words
)


@dataclass(frozen=True)
class Answerable:
    """One candidate answer and where it stands."""

    text: str  # its fullest form
    kind: str  # its coarse type (:data:`answer_type.TYPES`)
    holders: tuple[int, ...]  # the read sentences (indices into ``found``) that hold it
    articles: int
    outlets: int


@dataclass(frozen=True)
class Candidates:
    answerable: list[Answerable]
    features: npt.NDArray[np.float64]  # a row each, in ``CANDIDATE_FEATURES`` order


def _form(text: str) -> str:
    form = phrase_form(text).strip()
    for article in ("the ", "a ", "an "):
        form = form.removeprefix(article)
    return form.removesuffix(" s")  # "NATO's" is NATO


def gather(
    asked: Asked,
    found: Sequence[Candidate],
    eligible: Sequence[int],
    sentence_probability: npt.NDArray[np.float64],
    types: dict[str, float],
) -> Candidates:
    """Every candidate of the read sentences; ``eligible``: the sentences that may answer
    (indices into ``found``), each with the answerer's probability in ``sentence_probability``
    (0 where it was not shortlisted); ``types``: the expected type's probabilities."""
    mentions: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for index, candidate in enumerate(found):
        for name in candidate.names:
            kind = type_of(name.label)
            form = _form(name.text)
            if kind is None or not form or _is_asked(name.text, form, asked):
                continue
            if index not in mentions[form]:
                mentions[form].append(index)
            labels[form][kind] += 1
            spelled[form][name.text] += 1
    merged = _merged(mentions, labels)
    probability = dict.fromkeys(range(len(found)), 0.0)
    for i, p in zip(eligible, sentence_probability, strict=True):
        probability[i] = float(p)
    top = eligible[int(np.argmax(sentence_probability))] if len(eligible) else -1
    articles_read = len({c.passage.article_id for c in found}) or 1
    freshest = min((c.age_days for c in found), default=0.0)
    allowed = set(eligible)
    # Read once a sentence, not once a candidate: a week's articles hold a thousand forms.
    focus = max(1, len(asked.focus))
    coverage = [len(asked.focus & c.terms) / focus for c in found]
    headline = {c.passage.article_id: phrase_form(c.passage.title) for c in found}
    answerable, rows = [], []
    for form, holders in merged.items():
        kind = labels[form].most_common(1)[0][0]
        held = [found[i] for i in holders]
        articles = {c.passage.article_id for c in held}
        outlets = {c.passage.outlet.casefold() for c in held}
        text = spelled[form].most_common(1)[0][0]
        answerable.append(Answerable(text, kind, tuple(holders), len(articles), len(outlets)))
        stale = min(c.age_days for c in held) - freshest
        rows.append(
            [
                types.get(kind, 0.0),
                types.get("none", 0.0),
                math.log1p(len(holders)),
                math.log1p(len(articles)),
                math.log1p(len(outlets)),
                len(articles) / articles_read,
                1.0 / (1 + min(c.article_rank for c in held)),
                float(any(c.retrieved for c in held)),
                max(coverage[i] for i in holders),
                float(any(i in allowed for i in holders)),
                float(top in holders),
                max(probability[i] for i in holders),
                math.log1p(max(stale, 0.0)),
                float(any(f" {form} " in headline[c.passage.article_id] for c in held)),
                math.log1p(len(form.split())),
            ]
        )
    features = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(CANDIDATE_FEATURES))
    return Candidates(answerable, features)


def _is_asked(text: str, form: str, asked: Asked) -> bool:
    """The question's own names are not its answer: every word of it is in the question."""
    terms = set(terms_of(text))
    if terms:
        return terms <= asked.terms
    return form in asked.words


def _merged(
    mentions: dict[str, list[int]], labels: dict[str, Counter[str]]
) -> dict[str, list[int]]:
    """Shorter forms folded into the most mentioned longer form whose words they run inside
    ("southwest" into "southwest airlines"); numbers and dates are never folded ("2" is not
    "2023"). Longer forms are looked up by a word they share: a week's articles hold a thousand
    forms, and comparing every pair took a second."""
    merged = {form: list(held) for form, held in mentions.items()}
    size = {form: len(form.split()) for form in mentions}
    place = {form: i for i, form in enumerate(mentions)}
    holding: dict[str, list[str]] = defaultdict(list)
    for form in mentions:
        for word in set(form.split()):
            holding[word].append(form)
    for short in sorted(mentions, key=size.__getitem__):
        if labels[short].most_common(1)[0][0] in ("number", "date"):
            continue
        padded = f" {short} "
        longer = sorted(
            (
                f
                for f in holding[short.split()[0]]
                if f in merged and size[f] > size[short] and padded in f" {f} "
            ),
            key=lambda f: (-size[f], place[f]),
        )
        if not longer:
            continue
        into = max(longer, key=lambda f: len(mentions[f]))
        merged[into] = sorted(set(merged[into]) | set(merged.pop(short)))
        labels[into].update(labels[short])
    return merged


@dataclass(frozen=True)
class Weighed:
    """The candidates of one question, their probabilities, and the lift each read sentence
    gets from the best candidate it holds."""

    candidates: Candidates
    probabilities: npt.NDArray[np.float64]
    lift: dict[int, float]  # read sentence (index into ``found``) → what its score gains

    def best(self) -> int:
        return int(np.argmax(self.probabilities)) if len(self.probabilities) else -1


@dataclass(frozen=True)
class EvidenceModel:
    types: AnswerTypes
    scorer: Linear  # a candidate's probability of being the answer
    lift: float  # a sentence's score gains this times its best candidate's probability
    short_threshold: float  # the best candidate leads the answer from this probability
    about: dict[str, Any] = field(default_factory=dict)

    def weigh(
        self,
        question: str,
        asked: Asked,
        found: Sequence[Candidate],
        eligible: Sequence[int],
        scores: npt.NDArray[np.float64],
    ) -> Weighed:
        """``scores``: the answerer's, of the ``eligible`` sentences (-inf: not shortlisted)."""
        candidates = gather(
            asked,
            found,
            eligible,
            sentence_probabilities(scores),
            self.types.probabilities(question, asked),
        )
        probabilities = (
            self.scorer.probabilities(candidates.features)
            if len(candidates.answerable)
            else np.zeros(0)
        )
        lift: dict[int, float] = {}
        for answerable, p in zip(candidates.answerable, probabilities, strict=True):
            for i in answerable.holders:
                lift[i] = max(lift.get(i, 0.0), self.lift * float(p))
        return Weighed(candidates, probabilities, lift)

    def as_json(self) -> dict[str, Any]:
        return {
            "answer_types": self.types.as_json(),
            "candidates": self.scorer.as_json(),
            "lift": self.lift,
            "short_threshold": self.short_threshold,
            "about": self.about,
        }

    def save(self, path: Path = EVIDENCE) -> None:
        """One line a part: the answer types' weights are thousands of numbers."""
        path.parent.mkdir(parents=True, exist_ok=True)
        parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in self.as_json().items()]
        path.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")


def sentence_probabilities(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The answerer's scores as a distribution over its shortlisted sentences (0 elsewhere)."""
    finite = np.isfinite(scores)
    out = np.zeros(len(scores))
    if finite.any():
        shifted = np.exp(scores[finite] - scores[finite].max())
        out[finite] = shifted / shifted.sum()
    return out


def load_evidence(path: Path = EVIDENCE) -> EvidenceModel:
    """The shipped model; a missing or unreadable file, or other features, is an error naming
    the remedy (never a silent fallback)."""
    remedy = f"retrain with `{RETRAIN}`, or set BYLINE_EVIDENCE=off"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return EvidenceModel(
            AnswerTypes.of(data["answer_types"]),
            Linear.of(data["candidates"], CANDIDATE_FEATURES, "candidate", RETRAIN),
            float(data["lift"]),
            float(data["short_threshold"]),
            dict(data.get("about", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BylineError(f"evidence model {path}: unreadable ({exc}); {remedy}") from exc
