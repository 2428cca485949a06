"""``byline eval train-answerer``: learn the extractive answerer's two models, with their
cross-validated figures.

Each RealTime QA dev question is retrieved and its candidates read exactly as the answerer reads
them; a sentence is a positive when it names the gold choice and no other. The same question
asked ``shift_days`` before its date (no article holds its event yet) is a negative for the
question model. Folds split by question, the shifted copy with its original: every figure printed
is out of fold. The sentence model is then fitted on all questions; the question model on all
questions' out-of-fold sentence scores (so its confidence is that of unseen questions).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from eval.metrics import answer_correct
from eval.questions import EvalQuestion
from rag.answering.candidates import Candidate, candidates
from rag.answering.extractive import choose, missing_names, read
from rag.answering.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    Matrix,
    question_features,
)
from rag.answering.selection import Linear, SelectionModel
from rag.retrieval.retriever import Query, Retriever

KEEP_WITHIN = (0.5, 1.0, 2.0, 99.0)
THRESHOLDS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2)


@dataclass
class Example:
    question: EvalQuestion
    shifted: bool
    found: list[Candidate]
    features: Matrix  # of the eligible candidates only: what the answerer ranks
    eligible: list[int]
    labels: npt.NDArray[np.float64]  # per eligible candidate: names the gold and no other


@dataclass(frozen=True)
class Outcome:
    """One question's out-of-fold answer: right or not, and its confidence."""

    shifted: bool
    eligible: bool  # some sentence answers as asked (else the answerer declines outright)
    correct: bool
    confidence: float


def gather(
    retriever: Retriever, questions: list[EvalQuestion], top_k: int, shift_days: int
) -> list[Example]:
    examples = []
    for question in tqdm(questions, unit=" questions", leave=False):
        assert question.as_of is not None
        for shifted in (False, True):
            as_of = question.as_of - timedelta(days=shift_days if shifted else 0)
            retrieved = retriever.retrieve(Query.bounded(question.question, top_k, as_of=as_of))
            articles = retriever.articles(retrieved.passages)
            found = candidates(retrieved.passages, articles, retrieved.present)
            reading = read(retrieved.searched, found, retrieved.window, retrieved.named_outlets)
            missing = missing_names(retrieved.searched, found)
            eligible = [] if missing else reading.eligible
            features = reading.features[: len(eligible)]
            labels = np.array(
                [
                    0.0 if shifted else float(answer_correct(found[i].sentence, False, question))
                    for i in eligible
                ]
            )
            examples.append(Example(question, shifted, found, features, eligible, labels))
    return examples


def fit_sentences(examples: list[Example]) -> Linear:
    rows = [e for e in examples if not e.shifted and len(e.eligible)]
    x = np.vstack([e.features for e in rows])
    y = np.concatenate([e.labels for e in rows])
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y)
    return Linear(SENTENCE_FEATURES, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def fit_questions(rows: Matrix, labels: npt.NDArray[np.float64]) -> Linear:
    model = LogisticRegression(C=1.0, max_iter=5000).fit(rows, labels)
    return Linear(QUESTION_FEATURES, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def folds_of(examples: list[Example], folds: int, seed: int = 0) -> list[int]:
    """A fold per question id: a question and its shifted copy always share one."""
    ids = sorted({e.question.id for e in examples})
    random.Random(seed).shuffle(ids)
    fold = {qid: i % folds for i, qid in enumerate(ids)}
    return [fold[e.question.id] for e in examples]


def _answer(
    example: Example, scores: npt.NDArray[np.float64], keep_within: float, most: int
) -> str:
    chosen = choose(
        [example.found[i] for i in example.eligible],
        scores,
        list(range(len(example.eligible))),
        most,
        keep_within,
    )
    return " ".join(c.sentence for c in chosen)


def out_of_fold(
    examples: list[Example], fold: list[int], folds: int, keep_within: float, most: int
) -> Iterator[tuple[Example, Outcome, Matrix]]:
    """Each example answered by models that never saw its question."""
    scores: list[npt.NDArray[np.float64]] = [np.zeros(0)] * len(examples)
    for k in range(folds):
        model = fit_sentences([e for e, f in zip(examples, fold, strict=True) if f != k])
        for i, (e, f) in enumerate(zip(examples, fold, strict=True)):
            if f == k and len(e.eligible):
                scores[i] = model.logits(e.features)
    rows = np.vstack(
        [question_features(e.features, s) for e, s in zip(examples, scores, strict=True)]
    )
    correct = np.array(
        [
            bool(len(e.eligible))
            and not e.shifted
            and answer_correct(_answer(e, s, keep_within, most), False, e.question)
            for e, s in zip(examples, scores, strict=True)
        ]
    )
    confidence = np.zeros(len(examples))
    for k in range(folds):
        train = np.array([f != k for f in fold])
        judge = fit_questions(rows[train], correct[train].astype(np.float64))
        confidence[~train] = judge.probabilities(rows[~train])
    for i, e in enumerate(examples):
        outcome = Outcome(e.shifted, bool(e.eligible), bool(correct[i]), float(confidence[i]))
        yield e, outcome, rows[i : i + 1]


@dataclass(frozen=True)
class Figures:
    threshold: float
    accuracy: float
    answered: int
    accuracy_answered: float
    decline_recall: float  # on the shifted questions
    decline_precision: float


def figures(outcomes: list[Outcome], threshold: float) -> Figures:
    normal = [o for o in outcomes if not o.shifted]
    shifted = [o for o in outcomes if o.shifted]
    answered = [o for o in normal if o.eligible and o.confidence >= threshold]
    right = sum(o.correct for o in answered)
    declined_normal = len(normal) - len(answered)
    declined_shifted = sum(not o.eligible or o.confidence < threshold for o in shifted)
    declines = declined_normal + declined_shifted
    return Figures(
        threshold,
        round(right / len(normal), 4),
        len(answered),
        round(right / max(1, len(answered)), 4),
        round(declined_shifted / max(1, len(shifted)), 4),
        round(declined_shifted / max(1, declines), 4),
    )


def train(
    examples: list[Example], most: int, folds: int = 5
) -> tuple[SelectionModel, dict[float, list[Figures]]]:
    """The shipped models, and per ``keep_within`` the out-of-fold figures per threshold;
    ``most``: sentences an answer may hold (``BYLINE_MAX_ANSWER_SENTENCES``)."""
    fold = folds_of(examples, folds)
    table: dict[float, list[Figures]] = {}
    best: tuple[float, float] = (-1.0, -KEEP_WITHIN[0])
    for keep_within in KEEP_WITHIN:
        outcomes = [o for _, o, _ in out_of_fold(examples, fold, folds, keep_within, most)]
        table[keep_within] = [figures(outcomes, t) for t in THRESHOLDS]
        # The narrowest margin among the most accurate: a sentence that adds nothing stays out.
        best = max(best, (table[keep_within][0].accuracy, -keep_within))
    keep_within = -best[1]
    judged = list(out_of_fold(examples, fold, folds, keep_within, most))
    rows = np.vstack([r for _, _, r in judged])
    labels = np.array([float(o.correct) for _, o, _ in judged])
    model = SelectionModel(
        sentence=fit_sentences(examples),
        question=fit_questions(rows, labels),
        keep_within=keep_within,
        about={},
    )
    return model, table
