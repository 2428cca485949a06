"""The held-out year, split once: a choosing half and a reporting half.

Every default is chosen on the choosing half; the figures a card or the README reports as held
out come from the reporting half, which chose nothing. The split is by question id, seeded, so a
question and its early copy (``id@-14d``) fall on the same side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

from eval.questions import EvalQuestion

T = TypeVar("T")


def choosing(question_id: str, seed: int = 0) -> bool:
    """Whether a question (or its early copy) is in the choosing half."""
    base = question_id.split("@")[0]
    return hashlib.sha256(f"{seed}:{base}".encode()).digest()[0] % 2 == 0


def halves(
    questions: Sequence[EvalQuestion], seed: int = 0
) -> tuple[list[EvalQuestion], list[EvalQuestion]]:
    """(choosing, reporting)."""
    chosen = [q for q in questions if choosing(q.id, seed)]
    return chosen, [q for q in questions if not choosing(q.id, seed)]
