"""The eval report's plots, drawn by matplotlib as inline SVG (no files, no CDN, no script).

Each plot has axes with labels, a legend naming both runs, and an accessible name
(``role="img"`` with ``aria-label``); text stays text in the SVG, so it is searchable and read
by screen readers. Rendering uses a bare ``Figure`` (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence
from html import escape

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from eval.common import percentile
from eval.metrics import RECALL_KS
from eval.runs import RunFile

COLOURS = ("#2563eb", "#ea580c")  # run A, run B
SIZE = (5.2, 3.0)  # inches at 80 dpi: ~420 × 240 px, as the report lays them out


def recall_curves(run_a: RunFile, run_b: RunFile, names: tuple[str, str]) -> str:
    figure, axes = _figure()
    drawn = False
    for run, name, colour in zip((run_a, run_b), names, COLOURS, strict=True):
        points = [
            (k, value) for k in RECALL_KS if (value := run["totals"].get(f"recall@{k}")) is not None
        ]
        if points:
            ks, values = zip(*points, strict=True)
            axes.plot(ks, values, marker="o", color=colour, label=name)
            drawn = True
    axes.set_xscale("log")
    axes.set_xticks(list(RECALL_KS), [str(k) for k in RECALL_KS])
    axes.set_xlabel("k (passages)")
    axes.set_ylabel("answer recall@k")
    axes.set_ylim(0, 1)
    if not drawn:
        axes.text(0.5, 0.5, "no gold answers", ha="center", transform=axes.transAxes)
    return _svg(figure, axes, "Answer recall at k, both runs", legend=drawn)


def type_bars(run_a: RunFile, run_b: RunFile, names: tuple[str, str], metric: str) -> str:
    kinds = sorted(
        {q["kind"] for q in run_a["questions"]} | {q["kind"] for q in run_b["questions"]}
    )
    figure, axes = _figure()
    width = 0.4
    for j, (run, name, colour) in enumerate(zip((run_a, run_b), names, COLOURS, strict=True)):
        means = [_mean(run, kind, metric) for kind in kinds]
        positions = [i + (j - 0.5) * width for i in range(len(kinds))]
        axes.bar(positions, [m or 0.0 for m in means], width, color=colour, label=name)
    axes.set_xticks(range(len(kinds)), [kind[:14] for kind in kinds])
    axes.set_ylabel(metric)
    axes.set_ylim(0, 1)
    return _svg(figure, axes, f"{metric} per question type, both runs")


def latency_histogram(run_a: RunFile, run_b: RunFile, names: tuple[str, str]) -> str:
    series = [
        [float(v) for q in run["questions"] if (v := q["scores"].get("latency_ms")) is not None]
        for run in (run_a, run_b)
    ]
    figure, axes = _figure()
    every = [v for s in series for v in s]
    if every:
        # Up to the 99th percentile; slower outliers join the last bin, so they cannot flatten it.
        low, high = min(every), percentile(every, 0.99)
        clipped = [[min(v, high) for v in s] for s in series]
        axes.hist(clipped, bins=12, range=(low, high or 1.0), color=COLOURS, label=list(names))
    axes.set_xlabel("latency per question (ms; the last bin holds the slowest 1 %)")
    axes.set_ylabel("questions")
    return _svg(figure, axes, "Latency per question, both runs", legend=bool(every))


def _mean(run: RunFile, kind: str, metric: str) -> float | None:
    values: Sequence[float] = [
        float(v)
        for q in run["questions"]
        if q["kind"] == kind and (v := q["scores"].get(metric)) is not None
    ]
    return statistics.fmean(values) if values else None


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=80, layout="constrained")
    return figure, figure.add_subplot()


def _svg(figure: Figure, axes: Axes, label: str, legend: bool = True) -> str:
    if legend:
        axes.legend(loc="best", frameon=False)
    buffer = io.StringIO()
    # Text as text (searchable, read aloud); ids from a fixed salt, so a report is reproducible.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "byline"}):
        figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # inline: no XML prolog, no doctype
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, count=1, flags=re.S)  # RDF links
    opening = re.match(r"<svg [^>]*>", svg)
    assert opening is not None
    named = opening[0].replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return f"{named}<title>{escape(label)}</title>{svg[opening.end() :]}"
