"""``byline eval compare --html``: one self-contained HTML report (inline SVG, no CDN, no script).

Plots: recall@k curves, a metric's bars per question type, latency histograms; then the metric
table and a per-question drill-down with both answers and their citations side by side
(flipped questions first).
"""

from __future__ import annotations

import statistics
from html import escape
from typing import Any

from eval.common import percentile
from eval.compare import Flip, MetricRow, correct, paired_questions
from eval.metrics import RECALL_KS
from eval.runs import QuestionRow, RunFile
from rag.render import day

COLOURS = ("#2563eb", "#ea580c")  # run A, run B
W, H, PAD = 420, 240, 40


def render_report(
    run_a: RunFile,
    run_b: RunFile,
    rows: list[MetricRow],
    flipped: list[Flip],
    names: tuple[str, str],
) -> str:
    plots = [
        _figure("Answer recall@k", _recall_curves(run_a, run_b, names)),
        _figure(f"{_type_metric(run_a)} per question type", _type_bars(run_a, run_b, names)),
        _figure("Latency per question (ms)", _latency_histogram(run_a, run_b, names)),
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Byline eval: {escape(names[0])} vs {escape(names[1])}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #111; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
.plots {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
figure {{ margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: .5rem; }}
figcaption {{ font-weight: 600; margin-bottom: .25rem; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #eee; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.up {{ color: #15803d; }} .down {{ color: #b91c1c; }}
details {{ border-bottom: 1px solid #eee; padding: .3rem 0; }}
.pair {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }}
.pair > div {{ background: #f8fafc; padding: .5rem; border-radius: 4px; }}
.ok {{ color: #15803d; }} .bad {{ color: #b91c1c; }} .muted {{ color: #666; }}
.key span {{ display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; }}
</style></head><body>
<h1>Byline eval: {escape(names[0])} vs {escape(names[1])}</h1>
<p class="key">{_key(names)}</p>
{_config_differences(run_a, run_b)}
<div class="plots">{"".join(plots)}</div>
<h2>Metrics (B − A, paired bootstrap 95 % interval)</h2>
{_metric_table(rows, names)}
<h2>Questions ({len(flipped)} flipped, shown first)</h2>
{_drill_down(run_a, run_b, flipped, names)}
</body></html>
"""


def _key(names: tuple[str, str]) -> str:
    return "".join(
        f'<span style="background:{c}"></span>{escape(n)}'
        for c, n in zip(COLOURS, names, strict=True)
    )


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def _svg(body: str, y_max: float, y_label: str) -> str:
    ticks = "".join(
        f'<line x1="{PAD}" x2="{W - 10}" y1="{_y(v, y_max)}" y2="{_y(v, y_max)}" stroke="#eee"/>'
        f'<text x="{PAD - 4}" y="{_y(v, y_max) + 4}" text-anchor="end" font-size="10">'
        f"{_tick(v, y_max)}</text>"
        for v in (y_max * i / 4 for i in range(5))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(y_label)}">{ticks}'
        f'<line x1="{PAD}" x2="{PAD}" y1="10" y2="{H - PAD}" stroke="#999"/>'
        f'<line x1="{PAD}" x2="{W - 10}" y1="{H - PAD}" y2="{H - PAD}" stroke="#999"/>'
        f"{body}</svg>"
    )


def _tick(value: float, y_max: float) -> str:
    return f"{value:.2f}" if y_max <= 1 else f"{value:.0f}"


def _y(value: float, y_max: float) -> float:
    return round(H - PAD - (H - PAD - 10) * (value / y_max if y_max else 0), 1)


def _x(i: int, count: int) -> float:
    return round(PAD + 20 + (W - PAD - 40) * (i / max(1, count - 1)), 1)


def _recall_curves(run_a: RunFile, run_b: RunFile, names: tuple[str, str]) -> str:
    body = ""
    for i, k in enumerate(RECALL_KS):
        body += f'<text x="{_x(i, len(RECALL_KS))}" y="{H - PAD + 16}" text-anchor="middle" '
        body += f'font-size="11">k={k}</text>'
    for run, colour in zip((run_a, run_b), COLOURS, strict=True):
        values = [run["totals"].get(f"recall@{k}") for k in RECALL_KS]
        points = [(_x(i, len(values)), _y(v, 1.0)) for i, v in enumerate(values) if v is not None]
        if not points:
            continue
        path = " ".join(f"{x},{y}" for x, y in points)
        body += f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
        body += "".join(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>' for x, y in points)
    if "polyline" not in body:
        body += f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no gold answers</text>'
    return _svg(body, 1.0, "recall at k")


def _type_metric(run: RunFile) -> str:
    has_accuracy = any(q["scores"].get("accuracy") is not None for q in run["questions"])
    return "accuracy" if has_accuracy else "decline_accuracy"


def _type_bars(run_a: RunFile, run_b: RunFile, names: tuple[str, str]) -> str:
    metric = _type_metric(run_a)
    kinds = sorted(
        {q["kind"] for q in run_a["questions"]} | {q["kind"] for q in run_b["questions"]}
    )
    slot = (W - PAD - 20) / max(1, len(kinds))
    bar = min(40.0, slot / 2.5)
    body = ""
    for i, kind in enumerate(kinds):
        left = PAD + 10 + i * slot
        for j, (run, colour) in enumerate(zip((run_a, run_b), COLOURS, strict=True)):
            values = [
                v
                for q in run["questions"]
                if q["kind"] == kind and (v := q["scores"].get(metric)) is not None
            ]
            if not values:
                continue
            mean = statistics.fmean(values)
            top = _y(mean, 1.0)
            x = left + j * (bar + 2)
            body += (
                f'<rect x="{x:.1f}" y="{top}" width="{bar:.1f}" height="{H - PAD - top:.1f}" '
                f'fill="{colour}"><title>{escape(kind)}: {mean:.3f} '
                f"(n={len(values)})</title></rect>"
            )
        body += f'<text x="{left + bar:.1f}" y="{H - PAD + 16}" text-anchor="middle" '
        body += f'font-size="10">{escape(kind[:14])}</text>'
    return _svg(body, 1.0, f"{metric} per question type")


def _latency_histogram(run_a: RunFile, run_b: RunFile, names: tuple[str, str]) -> str:
    series = [
        [float(v) for q in run["questions"] if (v := q["scores"].get("latency_ms")) is not None]
        for run in (run_a, run_b)
    ]
    every = [v for s in series for v in s]
    if not every:
        return _svg("", 1.0, "latency")
    # Up to the 99th percentile; slower outliers join the last bin, so they cannot flatten it.
    low, high = min(every), percentile(every, 0.99)
    bins = 12
    width = (high - low) / bins or 1.0
    counts = [[0] * bins for _ in series]
    for s, values in enumerate(series):
        for v in values:
            counts[s][max(0, min(bins - 1, int((v - low) / width)))] += 1
    y_max = max(max(c) for c in counts) or 1
    slot = (W - PAD - 20) / bins
    body = ""
    for s, colour in enumerate(COLOURS):
        for b in range(bins):
            top = _y(counts[s][b], y_max)
            x = PAD + 10 + b * slot + s * slot / 2
            body += (
                f'<rect x="{x:.1f}" y="{top}" width="{slot / 2 - 1:.1f}" '
                f'height="{H - PAD - top:.1f}" fill="{colour}" opacity=".85">'
                f"<title>{low + b * width:.0f}–{low + (b + 1) * width:.0f} ms: "
                f"{counts[s][b]}</title></rect>"
            )
    for b in (0, bins // 2, bins):
        x = PAD + 10 + b * slot
        label = f"{low + b * width:.0f}" + ("+" if b == bins else "")
        body += f'<text x="{x:.1f}" y="{H - PAD + 16}" text-anchor="middle" font-size="10">'
        body += f"{label}</text>"
    return _svg(body, float(y_max), "questions per latency bin")


def _config_differences(run_a: RunFile, run_b: RunFile) -> str:
    a, b = _flat(run_a["config"]), _flat(run_b["config"])
    keys = [k for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k) and k != "created"]
    if not keys:
        return "<p class='muted'>Same configuration.</p>"
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(str(a.get(k)))}</td><td>{escape(str(b.get(k)))}</td></tr>"
        for k in keys
    )
    return (
        f"<h2>What differs</h2><table><tr><th>setting</th><th>A</th><th>B</th></tr>{rows}</table>"
    )


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _metric_table(rows: list[MetricRow], names: tuple[str, str]) -> str:
    def cell(value: float | None, signed: bool = False) -> str:
        if value is None:
            return '<td class="num muted">–</td>'
        text = f"{value:+.3f}" if signed else f"{value:.3f}"
        return f'<td class="num">{text}</td>'

    body = ""
    for r in rows:
        tone = ""
        if r.low is not None and r.high is not None and (r.low > 0 or r.high < 0):
            better = (r.low > 0) != (r.name == "latency_ms")
            tone = "up" if better else "down"
        interval = (
            f"[{r.low:+.3f}, {r.high:+.3f}]" if r.low is not None and r.high is not None else "–"
        )
        body += (
            f"<tr><td>{escape(r.name)}</td>{cell(r.a)}{cell(r.b)}"
            f'<td class="num {tone}">{"–" if r.diff is None else f"{r.diff:+.3f}"}</td>'
            f'<td class="num {tone}">{interval}</td><td class="num">{r.paired}</td></tr>'
        )
    head = (
        f"<tr><th>metric</th><th>{escape(names[0])}</th><th>{escape(names[1])}</th>"
        "<th>B − A</th><th>95 % interval</th><th>n</th></tr>"
    )
    return f"<table>{head}{body}</table>"


def _drill_down(run_a: RunFile, run_b: RunFile, flipped: list[Flip], names: tuple[str, str]) -> str:
    flipped_ids = {f.id for f in flipped}
    pairs = sorted(paired_questions(run_a, run_b), key=lambda p: p[0]["id"] not in flipped_ids)
    items = []
    for qa, qb in pairs:
        marks = f"{_mark(correct(qa))} → {_mark(correct(qb))}"
        flag = " <strong>flipped</strong>" if qa["id"] in flipped_ids else ""
        gold = ", ".join(qa["gold"]) or "(none: should decline)"
        items.append(
            f"<details><summary>{marks} <code>{escape(qa['id'])}</code> "
            f"<span class='muted'>{escape(qa['kind'])}</span> {escape(qa['question'])}{flag}"
            f"</summary><p class='muted'>gold: {escape(gold)}</p><div class='pair'>"
            f"{_answer_box(qa, names[0])}{_answer_box(qb, names[1])}</div></details>"
        )
    return "".join(items)


def _mark(value: bool | None) -> str:
    if value is None:
        return "<span class='muted'>·</span>"
    return "<span class='ok'>✓</span>" if value else "<span class='bad'>✗</span>"


def _answer_box(question: QuestionRow, name: str) -> str:
    citations = "".join(
        f"<li>[{c['n']}] {escape(c['outlet'])} — {escape(c['title'])} "
        f"({escape(day(c.get('published_at')) or 'undated')})"
        f"<br><q>{escape(c['quote'])}</q></li>"
        for c in question["citations"]
    )
    scores = ", ".join(
        f"{k} {v:.2f}" for k, v in question["scores"].items() if isinstance(v, float)
    )
    return (
        f"<div><strong>{escape(name)}</strong> <span class='muted'>{escape(question['answerer'])}"
        f"</span><p>{escape(question['answer'])}</p><ol>{citations}</ol>"
        f"<p class='muted'>searched: {escape(question['searched'])}<br>{escape(scores)}</p></div>"
    )
