"""What a listing costs: ``GET /articles`` and ``GET /outlets`` as the routers served them before
the catalogue (a scan of every article's first-chunk metadata in Chroma, sorted and counted in
Python) and as they serve them now (indexed queries of the catalogue the lexical index keeps).

    .venv/bin/python bench/catalogue.py --data-dir DIR [--repeats 10]

Both ways run on the same store in one run, alternating, and must list the same articles and
counts; the median of the repeats is printed. Read-only; run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import ChromaStore
from rag.answering.candidates import read_sentences
from rag.catalogue import Catalogue
from rag.domain.models import ArticleHead
from rag.settings import Settings


def scanned_page(store: ChromaStore, limit: int, outlet: str | None) -> tuple[int, list[str]]:
    """The old ``GET /articles``: every first chunk's metadata, sorted in Python."""
    where = {"outlet_key": outlet.casefold()} if outlet else None
    heads = [head for _, head in store.article_heads(where)]
    heads.sort(key=lambda h: (h.published_ts, h.title), reverse=True)
    return len(heads), [h.id for h in heads[:limit]]


def scanned_outlets(store: ChromaStore) -> list[tuple[str, int]]:
    """The old ``GET /outlets``: the same scan, counted in Python."""
    counts: dict[str, int] = {}
    for _, head in store.article_heads():
        counts[head.outlet] = counts.get(head.outlet, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))


def median_ms(work: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    store = ChromaStore(args.data_dir, Settings().store.collection)
    catalogue = Catalogue(LexicalIndex(args.data_dir, store, read_sentences))
    started = time.perf_counter()
    catalogue.articles(1, 0)  # fills the catalogue once for a data dir written before it
    print(
        f"first use (fills the catalogue if the data dir predates it,):"
        f" {time.perf_counter() - started:.1f} s"
    )
    _, outlets = catalogue.outlets()
    busiest = outlets[0].outlet
    print(f"{store.count()} chunks, {sum(o.articles for o in outlets)} articles")

    def listed(items: list[ArticleHead]) -> list[str]:
        return [h.id for h in items]

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "GET /articles?limit=20",
            lambda: scanned_page(store, 20, None),
            lambda: (lambda p: (p.total, listed(p.items)))(catalogue.articles(20, 0)),
        ),
        (
            f"GET /articles?outlet={busiest}",
            lambda: scanned_page(store, 20, busiest),
            lambda: (lambda p: (p.total, listed(p.items)))(catalogue.articles(20, 0, busiest)),
        ),
        (
            "GET /outlets",
            lambda: scanned_outlets(store),
            lambda: [(o.outlet, o.articles) for o in catalogue.outlets()[1]],
        ),
    ]
    for name, before, after in cases:
        scan_ms, old = median_ms(before, args.repeats)
        table_ms, new = median_ms(after, args.repeats)
        assert old == new, f"{name}: the two ways disagree"
        print(f"{name:<40} scan {scan_ms:8.1f} ms   catalogue {table_ms:6.2f} ms")


if __name__ == "__main__":
    main()
