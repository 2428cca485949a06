"""``byline train answerer``: the cheap ranker and its confidence, fitted on training years.

The sentence model (a logistic model over :mod:`rag.answering.features`) is fitted on the
training years' questions, a sentence a positive when it names the gold choice and no other.
The held-out year then decides everything else: the margin within which further sentences join
(``keep_within``), and the confidence model, fitted on the held-out year's questions and their
unanswerable copies (read from older, similar news, :mod:`pool`). Its figures are out of fold
within the held-out year (folds by question, a copy with its original); the shipped confidence
model is then fitted on the whole held-out year. No 2023 question is read.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from eval.metrics import answer_correct
from eval.thresholds import THRESHOLDS, calibration_error, default_threshold
from eval.training.shortlist import Shortlisted
from rag.answering.candidates import Candidate
from rag.answering.extractive import choose
from rag.answering.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    Matrix,
    question_features,
)
from rag.answering.selection import SelectionModel
from rag.models.linear import Linear

# Margins (logits) within which a further sentence of the best one's article joins it. No "all
# of them": a sentence is added when it answers too, not to give the gold more chances.
KEEP_WITHIN = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Outcome:
    """One question's answer: right or not, and its confidence."""

    shifted: bool
    eligible: bool  # some sentence answers as asked (else the answerer declines outright)
    correct: bool
    confidence: float
    first_correct: bool = False  # the answer's first sentence alone is right


@dataclass(frozen=True)
class Figures:
    threshold: float
    accuracy: float
    answered: int
    accuracy_answered: float
    decline_recall: float  # on the shifted questions
    decline_precision: float
    first_sentence_accuracy: float = 0.0


def figures(outcomes: Sequence[Outcome], threshold: float) -> Figures:
    normal = [o for o in outcomes if not o.shifted]
    shifted = [o for o in outcomes if o.shifted]
    answered = [o for o in normal if o.eligible and o.confidence >= threshold]
    right = sum(o.correct for o in answered)
    declined_normal = len(normal) - len(answered)
    declined_shifted = sum(not o.eligible or o.confidence < threshold for o in shifted)
    declines = declined_normal + declined_shifted
    return Figures(
        threshold,
        round(right / max(1, len(normal)), 4),
        len(answered),
        round(right / max(1, len(answered)), 4),
        round(declined_shifted / max(1, len(shifted)), 4),
        round(declined_shifted / max(1, declines), 4),
        round(sum(o.first_correct for o in answered) / max(1, len(normal)), 4),
    )


def folds_of(ids: Sequence[str], folds: int, seed: int = 0) -> list[int]:
    """A fold per question id: a question and its unanswerable copy always share one."""
    distinct = sorted(set(ids))
    random.Random(seed).shuffle(distinct)
    fold = {qid: i % folds for i, qid in enumerate(distinct)}
    return [fold[i] for i in ids]


def fit_logistic(
    rows: Matrix, labels: npt.NDArray[np.float64], names: tuple[str, ...], strength: float = 1.0
) -> Linear:
    """``strength``: LogisticRegression's C, the inverse of the regularisation."""
    if len(set(labels.tolist())) < 2:  # a fold of one class (small data): its rate, no weights
        rate = min(max(float(labels.mean()) if len(labels) else 0.0, 1e-3), 1 - 1e-3)
        return Linear(names, np.zeros(len(names)), float(np.log(rate / (1 - rate))))
    model = LogisticRegression(C=strength, max_iter=5000).fit(rows, labels)
    return Linear(names, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def fit_sentences(lists: Sequence[Shortlisted]) -> Linear:
    rows = [s for s in lists if not s.pool.shifted and len(s.eligible)]
    x = np.vstack([s.features for s in rows])
    y = np.concatenate([s.right.astype(np.float64) for s in rows])
    return fit_logistic(x, y, SENTENCE_FEATURES)


def answer_of(chosen: Sequence[Candidate]) -> str:
    return " ".join(c.sentence for c in chosen)


@dataclass
class Judged:
    """A held-out question's best sentences under some scores, with its confidence row."""

    shortlisted: Shortlisted
    row: Matrix
    correct: bool
    first_correct: bool


def judge(
    lists: Sequence[Shortlisted],
    scores_of: Callable[[Shortlisted], npt.NDArray[np.float64]],
    rows_of: Callable[[Shortlisted, npt.NDArray[np.float64]], Matrix],
    keep_within: float,
    most: int,
    same_article: bool = False,
) -> list[Judged]:
    judged = []
    for s in lists:
        scores = scores_of(s)
        row = rows_of(s, scores)
        correct = first = False
        if len(s.eligible) and not s.pool.shifted:
            kept = [i for i in range(len(s.eligible)) if np.isfinite(scores[i])]
            chosen = choose(s.eligible, scores, kept, most, keep_within, same_article)
            question = s.pool.question.question
            correct = answer_correct(answer_of(chosen), False, question)
            first = answer_correct(chosen[0].sentence, False, question)
        judged.append(Judged(s, row, correct, first))
    return judged


def calibrate(
    judged: Sequence[Judged], names: tuple[str, ...], folds: int = 5
) -> tuple[Linear, list[Outcome]]:
    """The confidence model fitted on all ``judged``, and each question's out-of-fold outcome."""
    rows = np.vstack([j.row for j in judged])
    labels = np.array([float(j.correct) for j in judged])
    fold = folds_of([j.shortlisted.pool.question.question.id for j in judged], folds)
    confidence = np.zeros(len(judged))
    for k in range(folds):
        train = np.array([f != k for f in fold])
        confidence[~train] = fit_logistic(rows[train], labels[train], names).probabilities(
            rows[~train]
        )
    outcomes = [
        Outcome(
            j.shortlisted.pool.shifted,
            bool(len(j.shortlisted.eligible)),
            j.correct,
            float(c),
            j.first_correct,
        )
        for j, c in zip(judged, confidence, strict=True)
    ]
    return fit_logistic(rows, labels, names), outcomes


def expected_calibration_error(outcomes: Sequence[Outcome]) -> float:
    """The calibration error over the questions that had a sentence to answer with."""
    rows = [o for o in outcomes if o.eligible]
    confidence = np.array([o.confidence for o in rows])
    return calibration_error(confidence, np.array([float(o.correct) for o in rows]))


def cheap_rows(s: Shortlisted, scores: npt.NDArray[np.float64]) -> Matrix:
    return question_features(s.features, scores)


@dataclass(frozen=True)
class HeldOut:
    """What the held-out year decides for a scorer, and its figures there."""

    keep_within: float
    confidence: Linear
    table: list[Figures]  # per threshold, confidence out of fold
    threshold: float  # the default: the lowest that declines enough unanswerable copies
    ece: float


def decide_on_held_out(
    held_out: Sequence[Shortlisted],
    scores_of: Callable[[Shortlisted], npt.NDArray[np.float64]],
    rows_of: Callable[[Shortlisted, npt.NDArray[np.float64]], Matrix],
    names: tuple[str, ...],
    most: int,
) -> HeldOut:
    """The margin (the most accurate; the narrowest among equals), the confidence model fitted
    on ``rows_of`` (columns ``names``), its out-of-fold table, the default threshold and the
    calibration error. ``most``: sentences an answer may hold."""
    best: tuple[float, float] = (-1.0, 0.0)
    for keep_within in KEEP_WITHIN:
        judged = judge(held_out, scores_of, rows_of, keep_within, most, same_article=True)
        best = max(best, (sum(j.correct for j in judged) / max(1, len(judged)), -keep_within))
    keep_within = -best[1]
    judged = judge(held_out, scores_of, rows_of, keep_within, most, same_article=True)
    confidence, outcomes = calibrate(judged, names)
    table = [figures(outcomes, t) for t in THRESHOLDS]
    return HeldOut(
        keep_within,
        confidence,
        table,
        default_threshold(table),
        expected_calibration_error(outcomes),
    )


def train_answerer(
    train: Sequence[Shortlisted], held_out: Sequence[Shortlisted], most: int
) -> tuple[SelectionModel, HeldOut]:
    """The shipped cheap ranker (fitted on ``train``) and what ``held_out`` decided for it."""
    sentence = fit_sentences(train)

    def scores_of(s: Shortlisted) -> npt.NDArray[np.float64]:
        return sentence.logits(s.features) if len(s.eligible) else np.zeros(0)

    decided = decide_on_held_out(held_out, scores_of, cheap_rows, QUESTION_FEATURES, most)
    model = SelectionModel(sentence, decided.confidence, decided.keep_within, about={})
    return model, decided
