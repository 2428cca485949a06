"""Embedding arithmetic benchmark: fp32 against bf16 on real chunks, side by side in one run.

    .venv/bin/python bench/precision.py [--chunks 512] [--batch 16 32 64 128] [--rounds 2]

Chunks the first corpus articles with Byline's own chunker, then, round after round (so that
anything else slowing the machine slows both alike), encodes them with each precision at each
batch size, in one process with all cores. Prints chunks/s for each, the bf16/fp32 ratio, every
bf16 vector's cosine to its fp32 twin (min and mean), and the single-query latency of each at
one thread (the serving path). Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import numpy as np

from ingest.chunker import Chunker
from ingest.records import read_jsonl
from rag.adapters.embedder import Embedder
from rag.domain.models import Article

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "realtimeqa-2023"


def chunk_texts(embedder: Embedder, wanted: int) -> list[str]:
    chunker = Chunker(embedder.count_pieces, embedder.max_tokens, 40)
    texts: list[str] = []
    for article in read_jsonl(CORPUS / "corpus.jsonl.gz"):
        if not isinstance(article, Article):
            continue  # a record ingest would reject
        texts += [c.embed_text for c in chunker.chunk(article)]
        if len(texts) >= wanted:
            return texts[:wanted]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--batch", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    models = {p: Embedder(precision=p, threads=0) for p in ("fp32", "bf16")}
    texts = chunk_texts(models["fp32"], args.chunks)
    print(f"{len(texts)} chunks of the first corpus articles")
    for model in models.values():
        model.embed(texts[:64], 32)  # warm-up: kernels chosen, caches filled
    seconds: dict[tuple[str, int], list[float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for _, batch, (name, model) in itertools.product(
        range(args.rounds), args.batch, models.items()
    ):
        started = time.perf_counter()
        out = model.embed(texts, batch)
        seconds.setdefault((name, batch), []).append(time.perf_counter() - started)
        vectors[name] = np.array(out)
    print("batch  fp32 chunks/s  bf16 chunks/s  bf16/fp32")
    for batch in args.batch:
        fp32 = len(texts) / statistics.median(seconds[("fp32", batch)])
        bf16 = len(texts) / statistics.median(seconds[("bf16", batch)])
        print(f"{batch:>5}  {fp32:>13.1f}  {bf16:>13.1f}  {bf16 / fp32:>8.2f}x")
    cosines = (vectors["fp32"] * vectors["bf16"]).sum(axis=1)
    print(f"cosine bf16 to fp32: min {cosines.min():.6f}, mean {cosines.mean():.6f}")
    import torch

    torch.set_num_threads(1)
    question = "How much military aid did NATO allies pledge to Ukraine for next year?"
    for name, model in models.items():
        model.embed([question])
        times = []
        for _ in range(50):
            started = time.perf_counter()
            model.embed([question])
            times.append((time.perf_counter() - started) * 1000)
        print(f"one query, 1 thread, {name}: median {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
