"""``byline train calibration``: the evidence model (expected answer type, candidate scorer,
lift), the calibrated confidence and the short answer's threshold, fitted on the training years
asked through the service itself and chosen on the held-out year's choosing half.

Every training question is asked over a store ``byline ingest`` built of the training years'
articles: first as of its date, to weigh its candidates (:mod:`eval.training.evidence`); then,
with the evidence model fitted, as of its date and 14 days earlier (the eval's own time shift,
when the news has not happened yet), keeping what the answerer weighed
(:class:`rag.answering.calibration.Evidence`). A question's label is the eval's: its answer
names the gold choice and no other; an early copy is never right. The confidence is fitted on
the training years and rescaled on the held-out year's choosing half (asked the same way over
its own store), which also chooses every setting: C, the decline threshold and the short
answer's threshold. The reporting half, which chose nothing, gives the figures the card
publishes. No 2023 question or article is read (the leakage gate refuses them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from eval.metrics import answer_correct
from eval.questions import EvalQuestion, time_shifted
from eval.thresholds import (
    DECLINE_RECALL_TARGET,
    THRESHOLDS,
    calibration_error,
    default_threshold,
)
from eval.training.answerer import fit_logistic, folds_of
from eval.training.card import write_calibration_card, write_evidence_card
from eval.training.evidence import (
    LIFTS,
    Weighing,
    choose_lift,
    choose_scorer,
    fit_answer_types,
    probe_of,
    weigh_all,
)
from eval.training.leakage import JudgedYear
from eval.training.skeleton import components_over, first, gated_store, training_questions
from eval.training.split import choosing, halves
from rag.adapters.embedder import cpu_name
from rag.adapters.name_tagger import NameTagger
from rag.answering.calibration import SIGNALS, Calibration
from rag.answering.evidence import CANDIDATE_FEATURES, EvidenceModel
from rag.models.linear import Linear
from rag.models.shipped import CALIBRATION, EVIDENCE
from rag.retrieval.retriever import Query
from rag.settings import Settings

T = TypeVar("T")
STRENGTHS = (0.01, 0.1, 1.0)  # LogisticRegression's C, chosen on the choosing half
SHORT_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
NEVER = 2.0  # a short-answer threshold no probability reaches
SHIFT_DAYS = 14
PLATT_C = 100.0  # two parameters fitted on hundreds of questions: barely regularised


@dataclass(frozen=True)
class Outcome:
    """One question as the service drafted it, and how it turned out (cached in ``--work``)."""

    id: str
    shifted: bool
    drafted: bool  # some sentence could answer (else it declines outright)
    correct: bool
    signals: list[float]  # ``SIGNALS``
    short_p: float  # the best candidate's probability (0: none)
    short_right: bool  # it names the gold choice and no other
    short_first: bool  # the answer's first sentence holds it (it could lead)


Row = TypeVar("Row", Outcome, Weighing)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ask_all(
    settings: Settings,
    store: Path,
    questions: Sequence[EvalQuestion],
    evidence: EvidenceModel,
    judged: JudgedYear,
) -> list[Outcome]:
    """Each question and its early copy, drafted by the service over ``store``."""
    over = settings.updated(data_dir=store, min_answer_confidence=0.0, calibration="off")
    service = gated_store(components_over(over, store), judged).ask_service(evidence=evidence)
    asked = [*questions, *time_shifted(list(questions), SHIFT_DAYS)]
    rows = []
    for question in tqdm(asked, unit=" questions", leave=False, disable=None):
        query = Query.bounded(question.question, over.retrieval.top_k, as_of=question.as_of)
        _, drafted = service.draft(query)
        evidence_of = drafted.evidence
        shifted = not question.answerable
        if evidence_of is None:
            rows.append(Outcome(question.id, shifted, False, False, [], 0.0, False, False))
            continue
        answer = " ".join(c.sentence for c in evidence_of.chosen)
        weighed = drafted.weighed
        best = weighed.best() if weighed is not None else -1
        short = weighed.candidates.answerable[best].text if weighed and best >= 0 else ""
        signals = evidence_of.signals()
        rows.append(
            Outcome(
                question.id,
                shifted,
                True,
                answer_correct(answer, False, question),
                signals,
                signals[len(SIGNALS) - 4],
                bool(short) and answer_correct(short, False, question),
                bool(signals[-1]),
            )
        )
    return rows


def _cached(path: Path, make: Callable[[], list[T]]) -> list[T]:
    if path.is_file():
        _log(f"{path}: cached")
        with path.open("rb") as f:
            cached: list[T] = pickle.load(f)
        return cached
    rows = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        pickle.dump(rows, f)
    return rows


def _key(*parts: Any) -> str:
    """Cached rows are named by what wrote them: other features or models, other file."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Point:
    threshold: float
    accuracy: float  # over the answerable questions
    answered: float  # their share answered
    accuracy_answered: float
    decline_recall: float  # over the early copies
    short_answer_accuracy: float  # shown and right, over the answerable questions


def curve(
    rows: Sequence[Outcome], confidence: npt.NDArray[np.float64], short_threshold: float
) -> list[Point]:
    normal = [i for i, r in enumerate(rows) if not r.shifted]
    early = [i for i, r in enumerate(rows) if r.shifted]
    points = []
    for t in THRESHOLDS:
        kept = [i for i in normal if rows[i].drafted and confidence[i] >= t]
        right = sum(rows[i].correct for i in kept)
        shown = sum(_shown(rows[i], short_threshold) and rows[i].short_right for i in kept)
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


def _shown(row: Outcome, short_threshold: float) -> bool:
    return row.short_first and row.short_p >= short_threshold


def held_out_error(rows: Sequence[Outcome], confidence: npt.NDArray[np.float64]) -> float:
    """The calibration error over the drafted questions, early copies included (their answers
    are all wrong)."""
    kept = [i for i, r in enumerate(rows) if r.drafted]
    correct = np.array([float(rows[i].correct) for i in kept])
    return calibration_error(confidence[kept], correct)


def short_threshold_for(
    rows: Sequence[Outcome], confidence: npt.NDArray[np.float64], threshold: float
) -> float:
    """The lowest candidate probability at which the short answers shown (with answers given
    at the default) are right at least as often as the answers they lead: a short answer never
    makes an answer less trustworthy than its quoted sentence."""
    kept = [
        r
        for r, p in zip(rows, confidence, strict=True)
        if not r.shifted and r.drafted and p >= threshold
    ]
    for t in SHORT_THRESHOLDS:
        shown = [r for r in kept if _shown(r, t)]
        if shown and sum(r.short_right for r in shown) >= sum(r.correct for r in shown):
            return t
    return NEVER


def _rows(rows: Sequence[Outcome]) -> npt.NDArray[np.float64]:
    return np.array([r.signals if r.drafted else [0.0] * len(SIGNALS) for r in rows])


def recalibrated(
    model: Linear, held: Sequence[Outcome], folds: int = 5
) -> tuple[Linear, npt.NDArray[np.float64]]:
    """``model`` (fitted on the training years) rescaled on the choosing half, whose store and
    mix of questions differ: one slope and one offset on its logit (Platt scaling). Returns the
    rescaled model, fitted on all of ``held``, and each question's probability out of fold (a
    question and its early copy share a fold)."""
    logits = model.logits(_rows(held))[:, None]
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


def choose_confidence(
    train: Sequence[Outcome], held: Sequence[Outcome]
) -> tuple[float, float, Linear, npt.NDArray[np.float64]]:
    """The confidence fitted on ``train`` and rescaled on ``held`` with the lowest calibration
    error out of fold there: (that error, its C, the model, the out-of-fold probabilities)."""
    x_train = _rows(train)
    drafted = np.array([r.drafted for r in train])
    y_train = np.array([float(r.correct) for r in train])
    best: tuple[float, float, Linear, npt.NDArray[np.float64]] | None = None
    for strength in STRENGTHS:
        fitted = fit_logistic(x_train[drafted], y_train[drafted], SIGNALS, strength)
        model, p = recalibrated(fitted, held)
        ece = held_out_error(held, p)
        _log(f"confidence C {strength}: choosing-half ECE {ece} out of fold")
        if best is None or ece < best[0]:
            best = (ece, strength, model, p)
    assert best is not None
    return best


class CalibrationJob:
    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings

    def run(self) -> dict[str, Any]:
        args, settings = self.args, self.settings
        judged, questions = training_questions(args)
        train_q = first([q.question for q in questions if q.year != args.held_out_year], args.limit)
        held_q = first([q.question for q in questions if q.year == args.held_out_year], args.limit)
        choose_q, report_q = halves(held_q, args.seed)
        stores = ((args.store, train_q), (args.held_out_store, held_q))

        # The evidence model, from the candidates the service weighs.
        types, types_about = fit_answer_types(train_q, choose_q, report_q, NameTagger(), args.seed)
        probe = probe_of(types)
        w_train, w_held = self._both(
            "evidence",
            [CANDIDATE_FEATURES, probe.as_json()],
            lambda store, asked: weigh_all(settings, store, asked, probe, judged),
            stores,
        )
        w_choose, w_report = _split(w_held, args.seed)
        candidates_c, scorer = choose_scorer(w_train, w_choose)
        most = LIFTS[-1] if args.max_lift is None else args.max_lift
        lift, lifts = choose_lift(w_choose, scorer, most)
        _, reported_lifts = choose_lift(w_report, scorer)
        evidence = EvidenceModel(types, scorer, lift, NEVER)

        # The confidence, from the answers the service drafts with that model.
        train, held = self._both(
            "calibration",
            [SIGNALS, evidence.as_json()],
            lambda store, asked: ask_all(settings, store, asked, evidence, judged),
            stores,
        )
        chosen_rows, reported_rows = _split(held, args.seed)
        ece, confidence_c, confidence, p_choose = choose_confidence(train, chosen_rows)
        threshold = default_threshold(curve(chosen_rows, p_choose, NEVER))
        short_threshold = short_threshold_for(chosen_rows, p_choose, threshold)
        chosen_at = next(
            p for p in curve(chosen_rows, p_choose, short_threshold) if p.threshold == threshold
        )
        p_report = confidence.probabilities(_rows(reported_rows))
        points = curve(reported_rows, p_report, short_threshold)
        about = {
            "trained_on_years": sorted({q.year for q in questions if q.year != args.held_out_year}),
            "training_questions": len(train_q),
            "held_out_year": args.held_out_year,
            "choosing_questions": len(choose_q),
            "reporting_questions": len(report_q),
            "split": f"by question id, sha256 of '{args.seed}:<id>', first byte even: choosing",
            "time_shift_days": SHIFT_DAYS,
            "reader": settings.answering.reader,  # what drafted the answers it calibrates
            "confidence_C": confidence_c,
            "choosing_ece": ece,
            "reporting_ece": held_out_error(reported_rows, p_report),
            "default_threshold": threshold,
            "short_threshold": short_threshold,
            "threshold_rule": f"the lowest that declines {DECLINE_RECALL_TARGET:.0%} of the"
            " choosing half's early copies",
            "choosing_default": vars(chosen_at),  # out of fold: what compares stage choices
            "curve": [vars(p) for p in points],
            "train_mix": _mix(train),
            "choosing_mix": _mix(chosen_rows),
            "reporting_mix": _mix(reported_rows),
            "cpu": cpu_name(),
            "seed": args.seed,
        }
        evidence_about = {
            "answer_types": types_about,
            "candidates_C": candidates_c,
            "lift": lift,
            "max_lift": most,
            "lift_choosing_half": lifts,
            "lift_reporting_half": reported_lifts,
            "short_threshold": short_threshold,
            "training_questions_weighed": len(w_train),
            "held_out_questions_weighed": len(w_held),
        }
        evidence = EvidenceModel(types, scorer, lift, short_threshold, evidence_about)
        calibration = Calibration(confidence, threshold, about)
        out: Path = args.out or CALIBRATION
        evidence_out: Path = args.evidence_out or EVIDENCE
        calibration.save(out)
        evidence.save(evidence_out)
        write_calibration_card(out.parent / "MODEL_CARD.md", about)
        write_evidence_card(evidence_out.parent / "MODEL_CARD.md", evidence_about, scorer)
        return about

    def _both(
        self,
        stage: str,
        made_by: list[Any],
        ask: Callable[[Path, list[EvalQuestion]], list[T]],
        stores: Sequence[tuple[Path, list[EvalQuestion]]],
    ) -> tuple[list[T], list[T]]:
        """A stage's rows over the training store, then the held-out one, each cached in
        ``--work`` under a name of what wrote them: other features or models, other file."""
        limit = "" if self.args.limit is None else f"-limit{self.args.limit}"
        (train_store, train_q), (held_store, held_q) = stores
        key = _key(*made_by)
        return (
            _cached(
                self.args.work / f"{stage}-train-{key}{limit}.pkl",
                lambda: ask(train_store, train_q),
            ),
            _cached(
                self.args.work / f"{stage}-held-{key}{limit}.pkl", lambda: ask(held_store, held_q)
            ),
        )


def _split(rows: Sequence[Row], seed: int) -> tuple[list[Row], list[Row]]:
    """(the choosing half's rows, the reporting half's), by each row's question id."""
    chosen = [r for r in rows if choosing(r.id, seed)]
    return chosen, [r for r in rows if not choosing(r.id, seed)]


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
