"""The evidence model's training: the expected answer type, the candidate scorer and how much a
sentence gains from the candidate it holds (``byline train calibration`` runs it first).

- **Answer types**: each training-year question's gold choice, tagged alone by the pipeline that
  tags the articles, is its label (a choice no name covers is "none"); a multinomial logistic
  model over the question's words, its C chosen on the held-out year's choosing half.
- **Candidates**: each training question is drafted through the service over a store of its
  year's articles, as of its date, with the candidates weighed but nothing lifted; a candidate is
  right when it names the gold choice and no other (the eval's own test on the candidate alone).
  The scorer is fitted on the training years, its C chosen on the choosing half by how often the
  best candidate is right.
- **Lift**: what a sentence gains per unit of its best candidate's probability, chosen on the
  choosing half by how often the answer's first sentence (the best one after the lift) is right.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from eval.metrics import answer_correct
from eval.questions import EvalQuestion
from eval.training.answerer import fit_logistic
from eval.training.leakage import JudgedYear
from eval.training.skeleton import components_over, gated_store
from rag.adapters.name_tagger import NameTagger
from rag.answering.answer_type import TYPES, AnswerTypes, question_tokens, type_of
from rag.answering.asked import read_question
from rag.answering.evidence import CANDIDATE_FEATURES, EvidenceModel
from rag.models.linear import Linear
from rag.retrieval.retriever import Query
from rag.settings import Settings

STRENGTHS = (0.01, 0.1, 1.0)
TYPE_STRENGTHS = (0.1, 1.0, 10.0)
LIFTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
MIN_TOKEN_COUNT = 3  # a question word seen fewer times in training is not in the vocabulary


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The expected answer type ------------------------------------------------------------------


def gold_types(questions: Sequence[EvalQuestion], tagger: NameTagger) -> list[str]:
    """Each question's gold choice's type: the label of the name covering most of it, when that
    name covers at least half of it; else "none"."""
    golds = [q.answers[0] if q.answers else "" for q in questions]
    types = []
    for gold, spans in zip(golds, tagger.tag(golds), strict=True):
        widest = max(spans, key=lambda s: s[1] - s[0], default=None)
        kind = type_of(widest[2]) if widest else None
        covers = widest is not None and (widest[1] - widest[0]) * 2 >= len(gold.strip())
        types.append(kind if kind is not None and covers else "none")
    return types


def _type_rows(
    questions: Sequence[EvalQuestion], vocabulary: dict[str, int]
) -> npt.NDArray[np.float64]:
    rows = np.zeros((len(questions), len(vocabulary)))
    for r, q in enumerate(questions):
        for token in question_tokens(q.question, read_question(q.question)):
            if (i := vocabulary.get(token)) is not None:
                rows[r, i] = 1.0
    return rows


def fit_answer_types(
    train: Sequence[EvalQuestion],
    choose: Sequence[EvalQuestion],
    report: Sequence[EvalQuestion],
    tagger: NameTagger,
    seed: int,
) -> tuple[AnswerTypes, dict[str, Any]]:
    counts = Counter(
        t for q in train for t in set(question_tokens(q.question, read_question(q.question)))
    )
    vocabulary = {
        t: i for i, t in enumerate(sorted(t for t, n in counts.items() if n >= MIN_TOKEN_COUNT))
    }
    x_train = _type_rows(train, vocabulary)
    y_train = np.array([TYPES.index(t) for t in gold_types(train, tagger)])
    y_choose = np.array([TYPES.index(t) for t in gold_types(choose, tagger)])
    y_report = np.array([TYPES.index(t) for t in gold_types(report, tagger)])
    best: tuple[float, float, AnswerTypes] | None = None
    for strength in TYPE_STRENGTHS:
        model = _fit_types(x_train, y_train, vocabulary, strength, seed)
        right = _type_accuracy(model, choose, y_choose)
        _log(f"answer types C {strength}: {right:.3f} right on the choosing half")
        if best is None or right > best[0]:
            best = (right, strength, model)
    assert best is not None
    _, strength, model = best
    about = {
        "vocabulary": len(vocabulary),
        "C": strength,
        "label_mix": dict(Counter(TYPES[i] for i in y_train)),
        "reporting_half_accuracy": round(_type_accuracy(model, report, y_report), 4),
        "reporting_half_majority": round(
            float(np.mean(y_report == np.bincount(y_train).argmax())), 4
        ),
    }
    return model, about


def _fit_types(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.int64],
    vocabulary: dict[str, int],
    strength: float,
    seed: int,
) -> AnswerTypes:
    """Every type keeps a row, whether or not training saw it (an unseen one: never likely)."""
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((len(TYPES), len(vocabulary)))
    bias = np.full(len(TYPES), -10.0)
    seen = sorted(set(y.tolist()))
    if len(seen) == 1:
        bias[seen[0]] = 0.0
        return AnswerTypes(vocabulary, weights, bias)
    fitted = LogisticRegression(C=strength, max_iter=5000, random_state=seed).fit(x, y)
    if len(seen) == 2:  # one row of weights: the second class against the first
        bias[seen[0]] = 0.0
        weights[seen[1]], bias[seen[1]] = fitted.coef_[0], fitted.intercept_[0]
    else:
        for row, label in enumerate(fitted.classes_):
            weights[label], bias[label] = fitted.coef_[row], fitted.intercept_[row]
    return AnswerTypes(vocabulary, weights, bias)


def _type_accuracy(
    model: AnswerTypes, questions: Sequence[EvalQuestion], labels: npt.NDArray[np.int64]
) -> float:
    guessed = [
        TYPES.index(
            max(
                (p := model.probabilities(q.question, read_question(q.question))), key=p.__getitem__
            )
        )
        for q in questions
    ]
    return float(np.mean(np.array(guessed) == labels)) if len(labels) else 0.0


# The candidates, drafted through the service -----------------------------------------------


@dataclass(frozen=True)
class Weighing:
    """One question's candidates and sentences as the service weighed them (nothing lifted)."""

    id: str
    features: npt.NDArray[np.float64]  # a candidate a row (``CANDIDATE_FEATURES``)
    right: list[bool]  # each candidate names the gold choice and no other
    holders: list[list[int]]  # each candidate's sentences, as places among ``scores``
    scores: npt.NDArray[np.float64]  # the answerer's, of the sentences that may answer
    sentence_right: list[bool]  # each of those names the gold choice and no other


def weigh_all(
    settings: Settings,
    store: Path,
    questions: Sequence[EvalQuestion],
    probe: EvidenceModel,
    judged: JudgedYear,
) -> list[Weighing]:
    """Each question drafted over ``store`` (which the gate admits) as of its date, its
    candidates weighed by ``probe`` (a model that lifts nothing)."""
    over = settings.updated(data_dir=store, min_answer_confidence=0.0, calibration="off")
    service = gated_store(components_over(over, store), judged).ask_service(evidence=probe)
    out = []
    for question in tqdm(questions, unit=" questions", leave=False, disable=None):
        query = Query.bounded(question.question, over.retrieval.top_k, as_of=question.as_of)
        _, drafted = service.draft(query)
        evidence, weighed = drafted.evidence, drafted.weighed
        if evidence is None or weighed is None:
            continue
        place = {id(c): k for k, c in enumerate(evidence.eligible)}
        found = evidence.found
        out.append(
            Weighing(
                question.id,
                weighed.candidates.features,
                [answer_correct(a.text, False, question) for a in weighed.candidates.answerable],
                [
                    [place[id(found[i])] for i in a.holders if id(found[i]) in place]
                    for a in weighed.candidates.answerable
                ],
                np.asarray(evidence.scores, dtype=np.float64),
                [answer_correct(c.sentence, False, question) for c in evidence.eligible],
            )
        )
    return out


def fit_candidates(rows: Sequence[Weighing], strength: float) -> Linear:
    kept = [r for r in rows if len(r.right)]
    x = np.vstack([r.features for r in kept])
    y = np.concatenate([np.array(r.right, dtype=np.float64) for r in kept])
    return fit_logistic(x, y, CANDIDATE_FEATURES, strength)


def best_right(rows: Sequence[Weighing], model: Linear) -> float:
    """The share of questions whose best candidate is right."""
    hits = [r.right[int(np.argmax(model.probabilities(r.features)))] for r in rows if r.right]
    return sum(hits) / max(1, len(rows))


def choose_scorer(train: Sequence[Weighing], choose: Sequence[Weighing]) -> tuple[float, Linear]:
    best: tuple[float, float, Linear] | None = None
    for strength in STRENGTHS:
        model = fit_candidates(train, strength)
        right = best_right(choose, model)
        _log(f"candidates C {strength}: best candidate right for {right:.3f} of the choosing half")
        if best is None or right > best[0]:
            best = (right, strength, model)
    assert best is not None
    return best[1], best[2]


def first_right(rows: Sequence[Weighing], model: Linear, lift: float) -> float:
    """The share of questions whose best sentence, after the lift, is right."""
    hits = 0
    for r in rows:
        if not len(r.scores):
            continue
        gain = np.zeros(len(r.scores))
        if r.right:
            for p, holders in zip(model.probabilities(r.features), r.holders, strict=True):
                for k in holders:
                    gain[k] = max(gain[k], lift * float(p))
        hits += r.sentence_right[int(np.argmax(r.scores + gain))]
    return hits / max(1, len(rows))


def choose_lift(
    rows: Sequence[Weighing], model: Linear, most: float = LIFTS[-1]
) -> tuple[float, dict[str, float]]:
    """The lift up to ``most`` whose first sentences are right most often on ``rows`` (ties:
    the smaller); the table has every lift."""
    table = {str(lift): round(first_right(rows, model, lift), 4) for lift in LIFTS}
    _log(f"lift → first sentence right: {table}")
    best = max((x for x in LIFTS if x <= most), key=lambda lift: (table[str(lift)], -lift))
    return best, table


def probe_of(types: AnswerTypes) -> EvidenceModel:
    """A model that weighs candidates and lifts nothing: what the candidates are fitted on."""
    silent = Linear(CANDIDATE_FEATURES, np.zeros(len(CANDIDATE_FEATURES)), 0.0)
    return EvidenceModel(types, silent, lift=0.0, short_threshold=2.0)
