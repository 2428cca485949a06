"""The learned part of the extractive answerer: two logistic models shipped as data.

``sentence`` scores each candidate sentence (how likely it names the answer); ``question``
reads the best scores and their freshness and says how likely the best sentences answer at all
(the confidence the answerer declines under). Both were fitted on the RealTime QA dev questions
by ``byline train answerer``, which reports their held-out figures; the file keeps the
feature names, so weights and code cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.answering.features import QUESTION_FEATURES, SENTENCE_FEATURES, Matrix
from rag.errors import BylineError
from rag.models.linear import Linear

WEIGHTS = Path(__file__).with_name("selection.json")


@dataclass(frozen=True)
class SelectionModel:
    sentence: Linear
    question: Linear
    keep_within: float  # a further sentence joins the answer within this many logits of the best
    about: dict[str, Any]  # how and on what it was learned, with its cross-validated figures

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> SelectionModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                Linear.of(data["sentence"], SENTENCE_FEATURES, "sentence"),
                Linear.of(data["question"], QUESTION_FEATURES, "question"),
                float(data["keep_within"]),
                dict(data.get("about", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BylineError(f"selection weights {path}: unreadable ({exc})") from exc

    def save(self, path: Path) -> None:
        data = {
            "sentence": self.sentence.as_json(),
            "question": self.question.as_json(),
            "keep_within": self.keep_within,
            "about": self.about,
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @property
    def threshold(self) -> float:
        """The confidence threshold chosen on the held-out year (``byline train answerer``)."""
        return float(self.about.get("default_threshold", 0.0))

    def sentence_scores(self, features: Matrix) -> npt.NDArray[np.float64]:
        return self.sentence.logits(features) if len(features) else np.zeros(0)

    def confidence(self, question: Matrix) -> float:
        return float(self.question.probabilities(question)[0])
