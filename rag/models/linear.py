"""A logistic model shipped as data: its feature names, weights and bias in JSON.

The file keeps the feature names, so weights and the code that computes the features cannot
drift apart unnoticed: loading against other names is an error naming the command that mends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.errors import BylineError


@dataclass(frozen=True)
class Linear:
    features: tuple[str, ...]
    weights: npt.NDArray[np.float64]
    bias: float

    @classmethod
    def of(
        cls,
        data: dict[str, Any],
        expected: tuple[str, ...],
        part: str,
        command: str = "byline train answerer",
    ) -> Linear:
        features = tuple(data["features"])
        if features != expected:
            raise BylineError(
                f"{part} weights: learned on features {features}, the code computes"
                f" {expected}; run `{command}` again"
            )
        return cls(features, np.asarray(data["weights"], dtype=np.float64), float(data["bias"]))

    def logits(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(rows @ self.weights + self.bias, dtype=np.float64)

    def probabilities(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(1 / (1 + np.exp(-self.logits(rows))), dtype=np.float64)

    def as_json(self) -> dict[str, Any]:
        weights = self.weights.tolist()
        return {"features": list(self.features), "weights": weights, "bias": self.bias}
