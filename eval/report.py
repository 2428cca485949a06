"""``byline eval compare --html``: one self-contained HTML report (inline SVG, no CDN, no script).

Plots (drawn by matplotlib, ``eval.plots``): recall@k curves, a metric's bars per question
type, latency histograms; then the metric
table and a per-question drill-down with both answers and their citations side by side
(flipped questions first).
"""

from __future__ import annotations

from html import escape
from typing import Any

from eval.compare import Flip, MetricRow, correct, paired_questions
from eval.plots import COLOURS, latency_histogram, recall_curves, type_bars
from eval.runs import QuestionRow, RunFile
from rag.render import day


def render_report(
    run_a: RunFile,
    run_b: RunFile,
    rows: list[MetricRow],
    flipped: list[Flip],
    names: tuple[str, str],
) -> str:
    metric = _type_metric(run_a)
    plots = [
        _figure("Answer recall@k", recall_curves(run_a, run_b, names)),
        _figure(f"{metric} per question type", type_bars(run_a, run_b, names, metric)),
        _figure("Latency per question (ms)", latency_histogram(run_a, run_b, names)),
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


def _type_metric(run: RunFile) -> str:
    has_accuracy = any(q["scores"].get("accuracy") is not None for q in run["questions"])
    return "accuracy" if has_accuracy else "decline_accuracy"


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
