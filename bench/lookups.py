"""What ingest pays to learn what is already stored: one query per article against a group.

    .venv/bin/python bench/lookups.py --data-dir DIR [--articles N]

Reads the stored chunk states of the first N articles (default: all) of DIR's store, first one
article per query (as ingest did before it grouped its lookups), then ``LOOKUP_GROUP`` articles
per query (as it does now), and prints both times. Read-only; run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ingest.pipeline import LOOKUP_GROUP
from rag.adapters.store import ChromaStore
from rag.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=None)
    args = parser.parse_args()
    store = ChromaStore(args.data_dir, Settings().store.collection)
    articles = [head.id for _, head in store.article_heads()][: args.articles]
    print(f"{store.count()} chunks, {len(articles)} articles")
    for group in (1, LOOKUP_GROUP):
        started = time.perf_counter()
        chunks = 0
        for first in range(0, len(articles), group):
            states = store.chunk_states(articles[first : first + group])
            chunks += sum(len(chunk_ids) for chunk_ids in states.values())
        seconds = time.perf_counter() - started
        print(
            f"{group:>3} article(s) per query: {seconds:.1f} s"
            f" ({seconds / len(articles) * 1000:.2f} ms an article, {chunks} chunks found)"
        )


if __name__ == "__main__":
    main()
