"""Comparing two runs: every metric side by side with a paired bootstrap 95 % interval of the
difference, the questions that flipped, and the regression check against a baseline."""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass

from eval.runs import QUALITY, QuestionRow, RunFile

RESAMPLES = 2000
LATENCY = "latency_ms"


@dataclass(frozen=True)
class MetricRow:
    name: str
    a: float | None
    b: float | None
    diff: float | None
    low: float | None  # 95 % interval of the paired difference (B - A)
    high: float | None
    paired: int  # questions where both runs have the metric


@dataclass(frozen=True)
class Flip:
    id: str
    question: str
    kind: str
    now_right: bool  # right in B, wrong in A (else the reverse)


def paired_questions(run_a: RunFile, run_b: RunFile) -> Iterator[tuple[QuestionRow, QuestionRow]]:
    """Each question both runs asked, in run A's order."""
    b_by_id = {q["id"]: q for q in run_b["questions"]}
    for qa in run_a["questions"]:
        if (qb := b_by_id.get(qa["id"])) is not None:
            yield qa, qb


def paired_values(run_a: RunFile, run_b: RunFile, name: str) -> list[tuple[float, float]]:
    pairs = []
    for qa, qb in paired_questions(run_a, run_b):
        va, vb = qa["scores"].get(name), qb["scores"].get(name)
        if va is not None and vb is not None:
            pairs.append((float(va), float(vb)))
    return pairs


def bootstrap_interval(
    differences: list[float], resamples: int = RESAMPLES, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of the mean paired difference over resampled questions."""
    rng = random.Random(seed)
    n = len(differences)
    means = sorted(statistics.fmean(rng.choices(differences, k=n)) for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def compare(run_a: RunFile, run_b: RunFile) -> list[MetricRow]:
    rows = []
    for name in (*QUALITY, LATENCY):
        pairs = paired_values(run_a, run_b, name)
        if not pairs:
            rows.append(MetricRow(name, None, None, None, None, None, 0))
            continue
        a = statistics.fmean(p[0] for p in pairs)
        b = statistics.fmean(p[1] for p in pairs)
        low, high = bootstrap_interval([vb - va for va, vb in pairs])
        rows.append(MetricRow(name, a, b, b - a, low, high, len(pairs)))
    return rows


def correct(question: QuestionRow) -> bool | None:
    """Right or wrong, for flips: answer accuracy where it applies, else the decline verdict."""
    scores = question["scores"]
    value = scores.get("accuracy")
    if value is None:
        value = scores.get("decline_accuracy")
    return None if value is None else bool(value)


def flips(run_a: RunFile, run_b: RunFile) -> list[Flip]:
    found = []
    for qa, qb in paired_questions(run_a, run_b):
        was, now = correct(qa), correct(qb)
        if was is not None and now is not None and was != now:
            found.append(Flip(qa["id"], qa["question"], qa["kind"], now_right=now))
    return found


def format_comparison(rows: list[MetricRow], flipped: list[Flip], name_a: str, name_b: str) -> str:
    def number(value: float | None, signed: bool = False) -> str:
        if value is None:
            return "-"
        return f"{value:+.3f}" if signed else f"{value:.3f}"

    header = f"{'metric':<20} {name_a[:12]:>12} {name_b[:12]:>12} {'B - A':>8}  95% interval      n"
    lines = [header, "-" * len(header)]
    for r in rows:
        interval = f"[{number(r.low, True)}, {number(r.high, True)}]" if r.paired else "-"
        lines.append(
            f"{r.name:<20} {number(r.a):>12} {number(r.b):>12} {number(r.diff, True):>8}  "
            f"{interval:<17} {r.paired}"
        )
    better = [f for f in flipped if f.now_right]
    worse = [f for f in flipped if not f.now_right]
    lines += ["", f"flipped to right in {name_b}: {len(better)}"]
    lines += [f"  + {f.id}  {f.question[:90]}" for f in better]
    lines += [f"flipped to wrong in {name_b}: {len(worse)}"]
    lines += [f"  - {f.id}  {f.question[:90]}" for f in worse]
    return "\n".join(lines)


def regressions(
    baseline: RunFile, run: RunFile, tolerance: float
) -> list[tuple[str, float, float]]:
    """Quality metrics (totals) that dropped more than ``tolerance`` below the baseline's.
    Latency is left out: it measures the machine as much as the change."""
    dropped = []
    for name in QUALITY:
        before, after = baseline["totals"].get(name), run["totals"].get(name)
        if before is None:
            continue
        if after is None or after < before - tolerance:
            dropped.append(
                (name, float(before), float(after) if after is not None else float("nan"))
            )
    return dropped


def below_floors(run: RunFile, floors: dict[str, float]) -> list[tuple[str, float, float]]:
    """(metric, floor, value) of each floored metric under its floor (or missing)."""
    under = []
    for name, floor in floors.items():
        value = run["totals"].get(name)
        if value is None or value < floor:
            under.append((name, floor, float(value) if value is not None else float("nan")))
    return under
