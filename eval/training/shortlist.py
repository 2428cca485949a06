"""What the reader is shown of a pool: the sentences that may answer (the answerer's own
:func:`~rag.answering.extractive.read`), ranked by the cheap ranker, the best ``size`` of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from eval.metrics import answer_correct
from eval.training.pool import Pool
from rag.answering.candidates import Candidate
from rag.answering.extractive import missing_names, read
from rag.answering.features import Matrix
from rag.answering.selection import SelectionModel
from rag.domain.folding import holds_phrase


@dataclass
class Shortlisted:
    pool: Pool
    eligible: list[Candidate]  # every sentence that may answer, best cheap score first
    features: Matrix  # theirs, in that order
    cheap: npt.NDArray[np.float64]  # the cheap ranker's logits, in that order
    right: npt.NDArray[np.bool_]  # names the gold choice and no other (never, when shifted)
    mentions: npt.NDArray[np.bool_]  # holds the gold choice at all


def shortlisted(pool: Pool, ranker: SelectionModel) -> Shortlisted:
    reading = read(pool.searched, pool.found, pool.window, pool.outlets)
    eligible_at = [] if missing_names(pool.searched, pool.found) else reading.eligible
    features = reading.features[: len(eligible_at)]
    cheap = ranker.sentence_scores(features)
    order = np.argsort(-cheap, kind="stable")
    eligible = [pool.found[eligible_at[i]] for i in order]
    question = pool.question.question
    gold = question.answers[0]
    right = np.array(
        [not pool.shifted and answer_correct(c.sentence, False, question) for c in eligible],
        dtype=bool,
    )
    mentions = np.array([holds_phrase(c.sentence, gold) for c in eligible], dtype=bool)
    return Shortlisted(pool, eligible, features[order], cheap[order], right, mentions)
