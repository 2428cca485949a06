"""`byline eval extraction`: article bodies read from real pages, scored exactly as the ScrapingHub
article-extraction benchmark scores them (github.com/scrapinghub/article-extraction-benchmark,
evaluate.py): ``\\w+`` tokens, 4-token shingles, per page TP/FP/FN from shingle counts normalised
to sum 1, precision and recall averaged over pages, F1 of the two averages.

Byline's dry-run body (``ingest.pages.read_page``, what ingest stores) is scored beside
trafilatura alone as the benchmark runs it (``extract(html, include_comments=False)``) at the
installed version, in the same run. The pages are split once into two fixed halves by a hash of
their id: trafilatura's options are chosen on the choosing half and reported on the reporting
half and on all.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

from ingest.pages import EXTRACTION, Extraction, read_page
from rag.errors import IngestError

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
SHINGLE = 4
SPLIT_SEED = "extraction-halves"
# What `--choose` tries: each of trafilatura's modes, and the precision mode with its fallback.
CHOICES = {
    "balanced": Extraction("balanced"),
    "recall": Extraction("recall"),
    "precision": Extraction("precision"),
    **{f"precision-{share}": Extraction("precision", share) for share in (0.25, 0.5, 0.75)},
}

Counts = tuple[float, float, float]


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    pages: int


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str

    @property
    def half(self) -> str:
        digest = hashlib.sha256(f"{SPLIT_SEED}:{self.id}".encode()).digest()
        return "choosing" if digest[0] % 2 == 0 else "reporting"


def load_pages(folder: Path) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        with gzip.open(folder / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as handle:
            html = handle.read()
        item = truth[page_id]
        pages.append(Page(page_id, item.get("url", ""), html, item.get("articleBody", "")))
    return pages


def shingle_counts(truth: str, predicted: str) -> Counts:
    """One page's TP, FP and FN over shingle counts, normalised to sum 1."""
    true, pred = _shingles(truth), _shingles(predicted)
    tp = fp = fn = 0.0
    for key in true.keys() | pred.keys():
        t, p = true.get(key, 0), pred.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def score(counts: list[Counts]) -> Score:
    precision = statistics.mean(_precision(*c) for c in counts if c[0] + c[1] > 0)
    recall = statistics.mean(_recall(*c) for c in counts if c[0] + c[2] > 0)
    return Score(2 * precision * recall / (precision + recall), precision, recall, len(counts))


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))
    return Counter(gram for gram in grams if gram)


def byline_body(extraction: Extraction) -> Callable[[Page], str]:
    """The dry run's ``body`` of a page file: what ingest would store ("" when it refuses)."""

    def body(page: Page) -> str:
        try:
            return read_page(page.html, page.id, extraction=extraction).body
        except IngestError:
            return ""

    return body


def trafilatura_alone(page: Page) -> str:
    import trafilatura

    return trafilatura.extract(page.html, include_comments=False) or ""


@dataclass(frozen=True)
class Report:
    trafilatura_version: str
    extraction: dict[str, object]
    chosen: dict[str, float]  # each choice's F1 on the choosing half
    systems: dict[str, dict[str, dict[str, float]]]  # system → half → score
    unparsed: list[str]  # pages Byline stored nothing from
    worst: list[dict[str, object]]  # Byline's ten lowest-F1 pages


def run_extraction_eval(folder: Path, choose: bool) -> Report:
    pages = load_pages(folder)
    choosing = [p for p in pages if p.half == "choosing"]
    chosen: dict[str, float] = {}
    if choose:
        for name, extraction in CHOICES.items():
            body = byline_body(extraction)
            chosen[name] = score([shingle_counts(p.truth, body(p)) for p in choosing]).f1
    systems: dict[str, dict[str, dict[str, float]]] = {}
    per_page: dict[str, list[Counts]] = {}
    bodies: dict[str, list[str]] = {}
    for name, read in (("byline", byline_body(EXTRACTION)), ("trafilatura", trafilatura_alone)):
        bodies[name] = [read(p) for p in pages]
        per_page[name] = [
            shingle_counts(p.truth, b) for p, b in zip(pages, bodies[name], strict=True)
        ]
        systems[name] = {
            half: asdict(score([c for p, c in zip(pages, per_page[name], strict=True) if keep(p)]))
            for half, keep in (
                ("choosing", lambda p: p.half == "choosing"),
                ("reporting", lambda p: p.half == "reporting"),
                ("all", lambda p: True),
            )
        }
    ranked = sorted(
        zip(pages, per_page["byline"], per_page["trafilatura"], strict=True),
        key=lambda row: _page_f1(row[1]),
    )
    worst = [
        {
            "id": page.id[:12],
            "url": page.url,
            "half": page.half,
            "f1": round(_page_f1(mine), 3),
            "trafilatura_f1": round(_page_f1(theirs), 3),
        }
        for page, mine, theirs in ranked[:10]
    ]
    unparsed = [p.id for p, b in zip(pages, bodies["byline"], strict=True) if not b]
    return Report(version("trafilatura"), asdict(EXTRACTION), chosen, systems, unparsed, worst)


def _page_f1(counts: Counts) -> float:
    tp, fp, fn = counts
    p, r = _precision(tp, fp, fn), _recall(tp, fp, fn)
    return 2 * p * r / (p + r) if p + r else 0.0


def format_extraction(report: Report) -> str:
    lines = [f"trafilatura {report.trafilatura_version}; Byline's options {report.extraction}"]
    if report.chosen:
        choices = " · ".join(f"{name} {f1:.4f}" for name, f1 in report.chosen.items())
        lines.append(f"choosing half, F1 by option: {choices}")
    lines.append(f"{'system':<13}{'half':<11}{'pages':>6}{'F1':>8}{'precision':>11}{'recall':>8}")
    for name, halves in report.systems.items():
        for half in ("reporting", "all", "choosing"):
            s = halves[half]
            lines.append(
                f"{name:<13}{half:<11}{s['pages']:>6}{s['f1']:>8.4f}"
                f"{s['precision']:>11.4f}{s['recall']:>8.4f}"
            )
    lines.append(f"pages Byline stored nothing from: {len(report.unparsed)}")
    lines.append("Byline's ten worst pages (F1, trafilatura alone's F1, half, URL):")
    for row in report.worst:
        lines.append(
            f"  {row['f1']:.3f}  {row['trafilatura_f1']:.3f}  {row['half']:<10} {row['url']}"
        )
    return "\n".join(lines)
