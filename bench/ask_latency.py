"""Benchmark: ingest throughput and /ask latency in process, on the real model and embedded Chroma.

    .venv/bin/python bench/ask_latency.py [--articles N] [--repeat R]

Ingests the sample articles plus the first N RealTime QA articles (if ../shared/datasets is beside
the checkout) into a temporary store, then asks every seed question R times and prints p50/p95 of
retrieval and answer time. Run by hand; CI never times anything.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from eval.common import percentile
from eval.seed import load_questions
from ingest.records import read_jsonl
from rag.components import Components
from rag.retrieve import Query
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "datasets" / "realtimeqa-2023" / "corpus.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch))
        components = Components.load(settings, threads=0)
        ingestor = components.ingestor()
        started = time.perf_counter()
        summary = ingestor.ingest_paths([ROOT / "examples" / "articles"])
        if CORPUS.exists() and args.articles:
            more = ingestor.ingest(itertools.islice(read_jsonl(CORPUS), args.articles))
            summary.read += more.read
            summary.chunks_embedded += more.chunks_embedded
        seconds = time.perf_counter() - started
        print(
            f"ingest: {summary.read} articles, {summary.chunks_embedded} chunks in {seconds:.1f} s"
            f" = {summary.chunks_embedded / seconds:.1f} chunks/s (torch threads: all cores)"
        )

        components = Components.load(settings)  # serving configuration: BYLINE_TORCH_THREADS
        service = components.ask_service()
        questions = load_questions()
        retrieval, answer = [], []
        for _ in range(args.repeat):
            for q in questions:
                result = service.ask(Query(q.question, settings.top_k))
                retrieval.append(result.retrieval_ms)
                answer.append(result.answer_ms)
        total = [r + a for r, a in zip(retrieval, answer, strict=True)]
        print(
            f"ask over {components.store.count()} chunks, {len(total)} requests, "
            f"torch threads {settings.torch_threads}:"
        )
        for name, values in (("retrieval", retrieval), ("answer", answer), ("total", total)):
            print(
                f"  {name:<9} p50 {statistics.median(values):7.1f} ms   "
                f"p95 {percentile(values, 0.95):7.1f} ms"
            )


if __name__ == "__main__":
    main()
