"""``byline train calibration``: the short-answer scorer and the calibrated confidence, fitted on
the training years asked through the service itself, the threshold chosen on the held-out year.

Every training question is asked twice over a store ``byline ingest`` built of the training
years' articles: as of its date, and 14 days earlier (the eval's own time shift, when the news
has not happened yet). The service drafts its answer with nothing declined on confidence, and
keeps what it weighed (:class:`rag.answering.calibration.Evidence`). A question's label is the
eval's: its answer names the gold choice and no other; an early copy is never right. A span's
label is the same test on the span alone. Both models are fitted on the training years; the
held-out year (asked the same way over its own store) chooses the regularisation, the decline
threshold and the short answer's threshold, and gives the out-of-sample figures and the
calibration error. No 2023 question or article is read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from eval.metrics import answer_correct
from eval.questions import EvalQuestion, time_shifted
from eval.training.answerer import fit_logistic, folds_of
from eval.training.card import write_calibration_card
from eval.training.retriever_job import _head, components_over, training_questions
from rag.adapters.embedder import cpu_name
from rag.answering.calibration import SIGNALS, Calibration, span_signals
from rag.answering.short_answer import SPAN_FEATURES
from rag.models.linear import Linear
from rag.models.shipped import CALIBRATION
from rag.retrieval.retriever import Query
from rag.settings import Settings

STRENGTHS = (0.01, 0.1, 1.0)  # LogisticRegression's C, chosen on the held-out year
THRESHOLDS = (
    0.0,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.12,
    0.15,
    0.2,
    0.25,
    0.3,
    0.35,
    0.4,
    0.5,
    0.6,
    0.7,
)
SPAN_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
DECLINE_RECALL_TARGET = 0.8  # the default declines this share of the held-out early copies
SHIFT_DAYS = 14
PLATT_C = 100.0  # two parameters fitted on hundreds of questions: barely regularised


@dataclass(frozen=True)
class Outcome:
    """One question as the service drafted it, and how it turned out (cached in ``--work``)."""

    id: str
    shifted: bool
    drafted: bool  # some sentence could answer (else it declines outright)
    correct: bool
    base: list[float]  # ``BASE_SIGNALS``
    spans: list[str]
    span_rows: npt.NDArray[np.float64]
    span_right: list[bool]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ask_all(settings: Settings, store: Path, questions: Sequence[EvalQuestion]) -> list[Outcome]:
    """Each question and its early copy, drafted by the service over ``store``."""
    over = settings.updated(data_dir=store, min_answer_confidence=0.0, calibration="off")
    service = components_over(over, store).ask_service()
    asked = [*questions, *time_shifted(list(questions), SHIFT_DAYS)]
    rows = []
    for question in tqdm(asked, unit=" questions", leave=False, disable=None):
        query = Query.bounded(question.question, over.retrieval.top_k, as_of=question.as_of)
        _, drafted = service.draft(query)
        evidence = drafted.evidence
        shifted = not question.answerable
        if evidence is None:
            rows.append(Outcome(question.id, shifted, False, False, [], [], np.zeros((0, 0)), []))
            continue
        answer = " ".join(c.sentence for c in evidence.chosen)
        spans, span_rows = evidence.spans()
        rows.append(
            Outcome(
                question.id,
                shifted,
                True,
                answer_correct(answer, False, question),
                evidence.base_signals(),
                [s.text for s in spans],
                span_rows,
                [answer_correct(s.text, False, question) for s in spans],
            )
        )
    return rows


def _cache_suffix(limit: int | None) -> str:
    """Cached rows are the features of the code that wrote them: other features, other file."""
    features = hashlib.sha256(json.dumps([SIGNALS, SPAN_FEATURES]).encode()).hexdigest()[:8]
    return f"-{features}" + ("" if limit is None else f"-limit{limit}")


def _cached(path: Path, make: Any) -> list[Outcome]:
    if path.is_file():
        _log(f"{path}: cached")
        with path.open("rb") as f:
            cached: list[Outcome] = pickle.load(f)
        return cached
    rows: list[Outcome] = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        pickle.dump(rows, f)
    return rows


def fit_spans(rows: Sequence[Outcome], strength: float) -> Linear:
    drafted = [r for r in rows if r.drafted and r.spans]
    x = np.vstack([r.span_rows for r in drafted])
    y = np.concatenate([np.array(r.span_right, dtype=np.float64) for r in drafted])
    return fit_logistic(x, y, SPAN_FEATURES, strength)


def best_spans(rows: Sequence[Outcome], model: Linear) -> list[tuple[bool, float, list[float]]]:
    """Per drafted question: whether its best span is right, its probability, its signals."""
    out = []
    for r in rows:
        if not r.drafted:
            out.append((False, 0.0, [0.0, 0.0, 0.0]))
            continue
        p = model.probabilities(r.span_rows) if r.spans else np.zeros(0)
        best, signals = span_signals(r.span_rows, p)
        out.append((best >= 0 and r.span_right[best], signals[0], signals))
    return out


def confidence_rows(rows: Sequence[Outcome], spans: Linear) -> npt.NDArray[np.float64]:
    best = best_spans(rows, spans)
    width = len(SIGNALS)
    return np.array(
        [[*r.base, *b[2]] if r.drafted else [0.0] * width for r, b in zip(rows, best, strict=True)]
    )


@dataclass(frozen=True)
class Point:
    threshold: float
    accuracy: float  # over the answerable questions
    answered: float  # their share answered
    accuracy_answered: float
    decline_recall: float  # over the early copies
    short_answer_accuracy: float


def curve(
    rows: Sequence[Outcome],
    confidence: npt.NDArray[np.float64],
    short_right: Sequence[bool],
    short_p: Sequence[float],
    span_threshold: float,
) -> list[Point]:
    normal = [i for i, r in enumerate(rows) if not r.shifted]
    early = [i for i, r in enumerate(rows) if r.shifted]
    points = []
    for t in THRESHOLDS:
        kept = [i for i in normal if rows[i].drafted and confidence[i] >= t]
        right = sum(rows[i].correct for i in kept)
        shown = sum(short_right[i] and short_p[i] >= span_threshold for i in kept)
        declined = sum(not rows[i].drafted or confidence[i] < t for i in early)
        points.append(
            Point(
                t,
                round(right / max(1, len(normal)), 4),
                round(len(kept) / max(1, len(normal)), 4),
                round(right / max(1, len(kept)), 4),
                round(declined / max(1, len(early)), 4),
                round(shown / max(1, len(normal)), 4),
            )
        )
    return points


def default_threshold(points: Sequence[Point]) -> float:
    """The lowest threshold that declines ``DECLINE_RECALL_TARGET`` of the held-out year's
    early copies: the question asked before its news, as the store itself answers it, is the
    case a user meets when the news is not there."""
    met = [p.threshold for p in points if p.decline_recall >= DECLINE_RECALL_TARGET]
    return min(met, default=max(p.threshold for p in points))


def calibration_error(
    rows: Sequence[Outcome], confidence: npt.NDArray[np.float64], bins: int = 10
) -> float:
    """ECE over the drafted questions, early copies included (their answers are all wrong)."""
    kept = [i for i, r in enumerate(rows) if r.drafted]
    if not kept:
        return 0.0
    p = confidence[kept]
    y = np.array([float(rows[i].correct) for i in kept])
    edges = np.minimum((p * bins).astype(int), bins - 1)
    error = sum(
        (edges == b).mean() * abs(p[edges == b].mean() - y[edges == b].mean())
        for b in range(bins)
        if (edges == b).any()
    )
    return round(float(error), 4)


def span_threshold_for(
    rows: Sequence[Outcome],
    confidence: npt.NDArray[np.float64],
    short_right: Sequence[bool],
    short_p: Sequence[float],
    threshold: float,
) -> float:
    """The lowest span probability at which the short answers shown (with answers given at the
    default) are right at least as often as the answers they lead: a short answer never makes
    an answer less trustworthy than its quoted sentence."""
    kept = [
        i for i, r in enumerate(rows) if not r.shifted and r.drafted and confidence[i] >= threshold
    ]
    answers_right = sum(rows[i].correct for i in kept) / max(1, len(kept))
    for t in SPAN_THRESHOLDS:
        shown = [i for i in kept if short_p[i] >= t]
        if shown and sum(short_right[i] for i in shown) / len(shown) >= answers_right:
            return t
    return SPAN_THRESHOLDS[-1]


def recalibrated(
    model: Linear, rows: npt.NDArray[np.float64], held: Sequence[Outcome], folds: int = 5
) -> tuple[Linear, npt.NDArray[np.float64]]:
    """``model`` (fitted on the training years) rescaled on the held-out year, whose store and
    mix of questions differ: one slope and one offset on its logit (Platt scaling). Returns the
    rescaled model, fitted on the whole held-out year, and each held-out question's probability
    out of fold (a question and its early copy share a fold)."""
    logits = model.logits(rows)[:, None]
    labels = np.array([float(r.correct) for r in held])
    drafted = np.array([r.drafted for r in held])
    fold = np.array(folds_of([r.id.split("@")[0] for r in held], folds))
    out = np.zeros(len(held))
    for k in range(folds):
        train = drafted & (fold != k)
        scale = fit_logistic(logits[train], labels[train], ("logit",), PLATT_C)
        out[fold == k] = scale.probabilities(logits[fold == k])
    scale = fit_logistic(logits[drafted], labels[drafted], ("logit",), PLATT_C)
    a, b = float(scale.weights[0]), scale.bias
    return Linear(model.features, model.weights * a, model.bias * a + b), out


def choose_span_scorer(train: Sequence[Outcome], held: Sequence[Outcome]) -> tuple[float, Linear]:
    """The span scorer fitted on ``train`` whose best span is right most often on ``held``."""
    chosen: tuple[int, float, Linear] | None = None
    for strength in STRENGTHS:
        model = fit_spans(train, strength)
        best = best_spans(held, model)
        right = sum(b[0] for b, r in zip(best, held, strict=True) if not r.shifted)
        _log(f"short answer C {strength}: best span right for {right} held-out questions")
        if chosen is None or right > chosen[0]:
            chosen = (right, strength, model)
    assert chosen is not None
    return chosen[1], chosen[2]


def choose_confidence(
    train: Sequence[Outcome], held: Sequence[Outcome], spans: Linear
) -> tuple[float, float, Linear, npt.NDArray[np.float64]]:
    """The confidence fitted on ``train`` and rescaled on ``held`` with the lowest held-out
    calibration error out of fold: (that error, its C, the model, the out-of-fold
    probabilities)."""
    x_train, x_held = confidence_rows(train, spans), confidence_rows(held, spans)
    drafted = np.array([r.drafted for r in train])
    y_train = np.array([float(r.correct) for r in train])
    best: tuple[float, float, Linear, npt.NDArray[np.float64]] | None = None
    for strength in STRENGTHS:
        fitted = fit_logistic(x_train[drafted], y_train[drafted], SIGNALS, strength)
        model, p = recalibrated(fitted, x_held, held)
        ece = calibration_error(held, p)
        raw = calibration_error(held, fitted.probabilities(x_held))
        _log(f"confidence C {strength}: held-out ECE {ece} (before recalibration {raw})")
        if best is None or ece < best[0]:
            best = (ece, strength, model, p)
    assert best is not None
    return best


class CalibrationJob:
    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings

    def run(self) -> dict[str, Any]:
        args = self.args
        _, questions = training_questions(args)
        train_q = _head([q.question for q in questions if q.year != args.held_out_year], args.limit)
        held_q = _head([q.question for q in questions if q.year == args.held_out_year], args.limit)
        suffix = _cache_suffix(args.limit)
        train = _cached(
            args.work / f"calibration-train{suffix}.pkl",
            lambda: ask_all(self.settings, args.store, train_q),
        )
        held = _cached(
            args.work / f"calibration-held{suffix}.pkl",
            lambda: ask_all(self.settings, args.held_out_store, held_q),
        )
        span_c, spans = choose_span_scorer(train, held)
        ece, confidence_c, confidence, p_held = choose_confidence(train, held, spans)
        short = best_spans(held, spans)
        short_right, short_p = [b[0] for b in short], [b[1] for b in short]
        points = curve(held, p_held, short_right, short_p, 0.0)
        threshold = default_threshold(points)
        span_threshold = span_threshold_for(held, p_held, short_right, short_p, threshold)
        points = curve(held, p_held, short_right, short_p, span_threshold)
        about = {
            "trained_on_years": sorted({q.year for q in questions if q.year != args.held_out_year}),
            "training_questions": len(train_q),
            "held_out_year": args.held_out_year,
            "held_out_questions": len(held_q),
            "time_shift_days": SHIFT_DAYS,
            "span_C": span_c,
            "confidence_C": confidence_c,
            "held_out_ece": ece,
            "default_threshold": threshold,
            "span_threshold": span_threshold,
            "threshold_rule": f"the lowest that declines {DECLINE_RECALL_TARGET:.0%} of the"
            " held-out early copies",
            "curve": [vars(p) for p in points],
            "train_mix": _mix(train),
            "held_out_mix": _mix(held),
            "cpu": cpu_name(),
            "seed": args.seed,
        }
        calibration = Calibration(spans, confidence, threshold, span_threshold, about)
        out: Path = args.out or CALIBRATION
        calibration.save(out)
        write_calibration_card(out.parent / "MODEL_CARD.md", about)
        return about


def _mix(rows: Sequence[Outcome]) -> dict[str, Any]:
    """How the questions fell: answerable with a right draft, with a wrong one, none drafted;
    early copies drafted or not."""
    normal = [r for r in rows if not r.shifted]
    early = [r for r in rows if r.shifted]
    return {
        "questions": len(normal),
        "drafted_right": sum(r.drafted and r.correct for r in normal),
        "drafted_wrong": sum(r.drafted and not r.correct for r in normal),
        "not_drafted": sum(not r.drafted for r in normal),
        "early_copies": len(early),
        "early_drafted": sum(r.drafted for r in early),
    }
