"""The kind of name a question expects for its answer, learned from the question's words.

Labels are the training years' gold choices tagged by the pipeline that tags the articles
(spaCy's small English NER, at ingest): "Yellowstone" is a place, "$5" a number, "Climate
change" no name at all (a third of quiz answers are not names: their candidates are only
evidence). A multinomial logistic model over the question's words and the kind its wording asks
for (:mod:`asked`) gives each type a probability; the candidate scorer reads the probability of
the candidate's own type. Trained by ``byline train calibration`` and shipped in its file.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.answering.asked import Asked

TYPES = ("person", "place", "organisation", "group", "number", "date", "title", "none")
# spaCy's OntoNotes labels, coarsened to what a quiz asks for; ORDINAL names no answer here.
LABEL_TYPE = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organisation",
    "NORP": "group",
    "LANGUAGE": "group",
    "CARDINAL": "number",
    "QUANTITY": "number",
    "MONEY": "number",
    "PERCENT": "number",
    "DATE": "date",
    "TIME": "date",
    "WORK_OF_ART": "title",
    "EVENT": "title",
    "PRODUCT": "title",
    "LAW": "title",
}
_WORD = re.compile(r"[a-z]+")


def type_of(label: str) -> str | None:
    """The coarse type of an NER label; None for labels that never answer (ORDINAL)."""
    return LABEL_TYPE.get(label)


def question_tokens(question: str, asked: Asked) -> list[str]:
    """What the model reads of a question: the kind its wording asks for, its words, and the
    word after each question word ("which country", "how many")."""
    words = _WORD.findall(question.casefold())
    tokens = [f"kind={asked.kind.value}", *(f"w={w}" for w in dict.fromkeys(words))]
    wh = {"who", "what", "which", "where", "when", "how", "whose", "whom"}
    tokens += [f"after={a}_{b}" for a, b in itertools.pairwise(words) if a in wh]
    return tokens


@dataclass(frozen=True)
class AnswerTypes:
    vocabulary: dict[str, int]
    weights: npt.NDArray[np.float64]  # types × vocabulary
    bias: npt.NDArray[np.float64]  # types

    def probabilities(self, question: str, asked: Asked) -> dict[str, float]:
        row = np.zeros(len(self.vocabulary))
        for token in question_tokens(question, asked):
            if (i := self.vocabulary.get(token)) is not None:
                row[i] = 1.0
        logits = self.weights @ row + self.bias
        exp = np.exp(logits - logits.max())
        return dict(zip(TYPES, (exp / exp.sum()).tolist(), strict=True))

    def as_json(self) -> dict[str, Any]:
        return {
            "types": list(TYPES),
            "vocabulary": sorted(self.vocabulary, key=self.vocabulary.__getitem__),
            "weights": np.round(self.weights, 4).tolist(),
            "bias": np.round(self.bias, 4).tolist(),
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> AnswerTypes:
        if tuple(data["types"]) != TYPES:
            raise ValueError(f"answer types {data['types']}, the code knows {list(TYPES)}")
        vocabulary = {token: i for i, token in enumerate(data["vocabulary"])}
        weights = np.asarray(data["weights"], dtype=np.float64)
        return cls(vocabulary, weights, np.asarray(data["bias"], dtype=np.float64))
