"""A comparison of accounts ("How do the outlets' reports differ on …", "What did each outlet
say about …"): per outlet, its own best sentence on the point, side by side, and a note of what
they agree on or who is silent.

The note is Byline's own words over the quoted sentences (the particulars, names, amounts and
dates, that every side names), never a claim of its own about the news.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rag.answering.candidates import Candidate
from rag.answering.short_answer import SpanKind, spans_of
from rag.domain.folding import phrase_form

MOST_OUTLETS = 3  # outlets set side by side when the question names none
_PARTICULARS = (SpanKind.NAME, SpanKind.NUMBER, SpanKind.DATE, SpanKind.QUOTED)


@dataclass(frozen=True)
class SideBySide:
    chosen: list[Candidate]  # one per outlet, in the order shown
    note: str  # what they agree on, who is silent


def side_by_side(
    eligible: Sequence[Candidate],
    scores: npt.NDArray[np.float64],
    cheap: npt.NDArray[np.float64],
    named: Sequence[str] = (),
) -> SideBySide:
    """``scores``: the final ones (-inf where the reader did not read); ``cheap``: the cheap
    ranker's, which order the sentences the reader skipped; ``named``: the outlets the
    question names (else the best few outlets that answer)."""
    # The reader's shortlist may hold one outlet alone: the rest are ordered by the cheap ranker.
    rank = np.where(np.isfinite(scores), scores, cheap - 1e3)
    best_of: dict[str, Candidate] = {}
    for i in np.argsort(-rank, kind="stable"):
        best_of.setdefault(eligible[i].passage.outlet.casefold(), eligible[i])
    wanted = [o.casefold() for o in named] or list(best_of)[:MOST_OUTLETS]
    chosen = [best_of[o] for o in wanted if o in best_of]
    silent = [o for o in named if o.casefold() not in best_of]
    return SideBySide(chosen, _note(chosen, silent))


def _note(chosen: Sequence[Candidate], silent: Sequence[str]) -> str:
    parts = []
    if len(chosen) == 1 and not silent:
        parts.append(f"Only {chosen[0].passage.outlet} reports on this among the articles found.")
    elif len(chosen) > 1:
        shared = _shared_particulars([c.sentence for c in chosen])
        every = "Both" if len(chosen) == 2 else f"All {len(chosen)}"
        if shared:
            parts.append(f"{every} name {_listed(shared)}.")
        else:
            parts.append("They name no particular in common.")
    parts += [f"{outlet} says nothing on this in the articles found." for outlet in silent]
    return " ".join(parts)


def _shared_particulars(sentences: Sequence[str]) -> list[str]:
    """The names, amounts, dates and titles every sentence names, as the first one writes them."""
    first = [s for s in spans_of(sentences[0]) if s.kind in _PARTICULARS]
    others = [phrase_form(s) for s in sentences[1:]]
    return [s.text for s in first if all(phrase_form(s.text) in o for o in others)]


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
