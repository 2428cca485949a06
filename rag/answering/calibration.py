"""One confidence that the answer is right, calibrated on realistic "not there" cases.

The answerer's own confidence (the reader's, or the cheap ranker's) was fitted against
unanswerable copies built from another question's search results, which proved far easier than
what a whole store retrieves when the news has not happened yet. This stage is fitted (``byline
train calibration``) on the training years asked through the service itself over a store of
their articles, as of their dates and as of 14 days earlier, so the store's own near misses are
its negatives. It reads what the text alone does not carry: how much the best sentence beats the
next, how sure the evidence is of its best candidate answer and how many articles and outlets
hold it (redundancy, :mod:`evidence`), how old the freshest news is against the question's
time, how much of the question the sentence covers. Its threshold is chosen on the held-out
training year's choosing half; 2023 is never read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.answering.asked import Asked, Kind
from rag.answering.candidates import Candidate, index_of
from rag.answering.evidence import Weighed
from rag.answering.features import SENTENCE_FEATURES, Matrix
from rag.errors import BylineError
from rag.models.linear import Linear
from rag.models.shipped import CALIBRATION

RETRAIN = "byline train calibration"

BASE_SIGNALS = (
    "drafted",  # the logit of the answerer's own confidence
    "margin",  # the best sentence's score over the next one's (capped at 5)
    "eligible",  # log of the sentences that may answer
    "coverage",  # the best sentence's share of the question's words
    "similarity",  # its article's similarity to the question
    "title_coverage",
    "age",  # log days from its publication to the question's time
    "least_age",  # ... of the freshest sentence read, eligible or not
    "fresh",
    "in_window",
    "out_window",
    "asks_number",
    "asks_date",
    "asks_name",
)
EVIDENCE_SIGNALS = (
    "candidate",  # the best candidate answer's probability (0: none)
    "candidate_articles",  # log of the articles that hold it
    "candidate_outlets",
    "candidate_first",  # the answer's first sentence holds it
)
SIGNALS = (*BASE_SIGNALS, *EVIDENCE_SIGNALS)
NAMED_KINDS = (Kind.PERSON, Kind.PLACE, Kind.ORGANISATION)


@dataclass(frozen=True)
class Evidence:
    """What the answerer weighed for one question, for the calibration to read."""

    asked: Asked
    found: list[Candidate]  # every sentence read
    eligible: list[Candidate]  # those that may answer
    features: Matrix  # theirs (``SENTENCE_FEATURES``)
    scores: npt.NDArray[np.float64]  # theirs; -inf where not shortlisted
    chosen: list[Candidate]  # the answer's sentences, best first
    drafted: float  # the answerer's own confidence
    weighed: Weighed | None = None  # the candidate answers (None: the evidence stage is off)

    def base_signals(self) -> list[float]:
        scores = np.sort(self.scores[np.isfinite(self.scores)])[::-1]
        margin = float(scores[0] - scores[1]) if len(scores) > 1 else 5.0
        best = int(np.argmax(self.scores))
        column = {name: self.features[best, i] for i, name in enumerate(SENTENCE_FEATURES)}
        drafted = min(max(self.drafted, 1e-4), 1 - 1e-4)
        least_age = min(c.age_days for c in self.found)
        kind = self.asked.kind
        return [
            math.log(drafted / (1 - drafted)),
            min(margin, 5.0),
            math.log1p(len(self.eligible)),
            float(column["coverage"]),
            float(column["similarity"]),
            float(column["title_coverage"]),
            float(column["age"]),
            math.log1p(max(least_age, 0.0)),
            float(column["fresh"]),
            float(column["in_window"]),
            float(column["out_window"]),
            float(kind is Kind.NUMBER),
            float(kind is Kind.DATE),
            float(kind in NAMED_KINDS),
        ]

    def evidence_signals(self) -> list[float]:
        weighed = self.weighed
        best = weighed.best() if weighed is not None else -1
        if weighed is None or best < 0:
            return [0.0] * len(EVIDENCE_SIGNALS)
        answerable = weighed.candidates.answerable[best]
        first = index_of(self.chosen[0], self.found) if self.chosen else -1
        return [
            float(weighed.probabilities[best]),
            math.log1p(answerable.articles),
            math.log1p(answerable.outlets),
            float(first in answerable.holders),
        ]

    def signals(self) -> list[float]:
        return [*self.base_signals(), *self.evidence_signals()]


@dataclass(frozen=True)
class Calibration:
    confidence: Linear  # the answer's probability of being right
    threshold: float  # declines under this confidence, chosen on the held-out year
    about: dict[str, Any] = field(default_factory=dict)

    def of(self, evidence: Evidence) -> float:
        row = np.array([evidence.signals()], dtype=np.float64)
        return float(self.confidence.probabilities(row)[0])

    def as_json(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence.as_json(),
            "threshold": self.threshold,
            "about": self.about,
        }

    def save(self, path: Path = CALIBRATION) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=1) + "\n", encoding="utf-8")


def load_calibration(path: Path = CALIBRATION) -> Calibration:
    """The shipped calibration; a missing or unreadable file, or other features, is an error
    naming the remedy (never a silent fallback)."""
    remedy = f"retrain with `{RETRAIN}`, or set BYLINE_CALIBRATION=off"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Calibration(
            Linear.of(data["confidence"], SIGNALS, "calibration", RETRAIN),
            float(data["threshold"]),
            dict(data.get("about", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BylineError(f"calibration {path}: unreadable ({exc}); {remedy}") from exc
