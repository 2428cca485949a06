"""The confidence thresholds figures are read at, the default threshold's rule and the
calibration error: one definition each, for the answerer's training, the calibration job and
`byline eval curve`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

THRESHOLDS = (
    0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7,
)  # fmt: skip
DECLINE_RECALL_TARGET = 0.8  # the default declines this share of the held-out unanswerable copies


class AtThreshold(Protocol):
    @property
    def threshold(self) -> float: ...
    @property
    def decline_recall(self) -> float: ...


def default_threshold(rows: Sequence[AtThreshold]) -> float:
    """The lowest threshold whose held-out decline recall reaches the target (the highest when
    none does)."""
    met = [r.threshold for r in rows if r.decline_recall >= DECLINE_RECALL_TARGET]
    return min(met, default=max(r.threshold for r in rows))


def calibration_error(
    confidence: npt.NDArray[np.float64], correct: npt.NDArray[np.float64], bins: int = 10
) -> float:
    """Expected calibration error: how far confidence strays from the share answered right,
    weighted over ``bins`` equal bins."""
    if not len(confidence):
        return 0.0
    edges = np.minimum((confidence * bins).astype(int), bins - 1)
    error = sum(
        (edges == b).mean() * abs(confidence[edges == b].mean() - correct[edges == b].mean())
        for b in range(bins)
        if (edges == b).any()
    )
    return round(float(error), 4)
