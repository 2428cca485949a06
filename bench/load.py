"""Load benchmarks: /ask under concurrency, ``byline ask`` from a cold process, and ingest
against raw encode.

    .venv/bin/python bench/load.py ask --data-dir DIR [--seconds 60] [--concurrency 1 4 16]
        [--encoders onnx torch] [--readers on off]
    .venv/bin/python bench/load.py cold --data-dir DIR [--runs 5]
    .venv/bin/python bench/load.py ingest [--articles N] [--slice 250] [--data-dir DIR] [--raw-same]

``ask`` starts ``byline serve`` on DIR (a store that already holds the RealTime QA corpus) in its
own process on a loopback port, once per query encoder and reader setting (``BYLINE_READER``),
then, from this process, keeps C requests in flight for the given time at each concurrency,
asking the dev questions in turn as of their dates. It prints throughput, p50/p95/p99 latency,
errors, the time to ready and the server's peak resident memory (VmHWM) for each server.

``cold`` runs ``byline ask`` in a new process, alternating the old way (torch, the BM25 matrix
built at start: its saved copy in DIR is deleted first) and the new (ONNX, the saved matrix).

``ingest`` reads the first N corpus articles (default: all 7,587) and, slice by slice, ingests
them into a fresh embedded store (kept in DIR if given), then encodes exactly the chunks that
ingest embedded with sentence-transformers alone in fp32 (same model, batch size and threads):
the old ceiling that ingest is measured against; ``--raw-same`` also encodes them raw in the
ingest's own precision (the new ceiling).

Run by hand, never in CI; each part takes the whole machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from eval.common import percentile
from ingest.chunker import Chunker
from ingest.pipeline import Ingestor
from ingest.records import read_jsonl
from rag.adapters.embedder import Embedder
from rag.adapters.index_writer import IndexWriter
from rag.settings import Settings
from rag.wiring import Components, load_embedder

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "realtimeqa-2023"
BYLINE = str(Path(sys.executable).parent / "byline")


def main() -> None:
    parser = argparse.ArgumentParser()
    parts = parser.add_subparsers(dest="part", required=True)
    ask = parts.add_parser("ask")
    ask.add_argument("--data-dir", type=Path, required=True)
    ask.add_argument("--seconds", type=float, default=60)
    ask.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ask.add_argument("--port", type=int, default=8765)
    ask.add_argument("--encoders", nargs="+", default=["onnx"])
    ask.add_argument("--readers", nargs="+", default=["on", "off"], help="BYLINE_READER values")
    cold = parts.add_parser("cold")
    cold.add_argument("--data-dir", type=Path, required=True)
    cold.add_argument("--runs", type=int, default=5)
    ingest = parts.add_parser("ingest")
    ingest.add_argument("--articles", type=int, default=None)
    ingest.add_argument("--slice", type=int, default=250)
    ingest.add_argument("--data-dir", type=Path, help="keep the store here (a new dir)")
    ingest.add_argument(
        "--raw-same", action="store_true", help="also encode raw in the ingest's precision"
    )
    args = parser.parse_args()
    if args.part == "ask":
        bench_ask(
            args.data_dir, args.seconds, args.concurrency, args.port, args.encoders, args.readers
        )
    elif args.part == "cold":
        bench_cold(args.data_dir, args.runs)
    else:
        bench_ingest(args.articles, args.slice, args.data_dir, args.raw_same)


def bench_ask(
    data_dir: Path,
    seconds: float,
    levels: list[int],
    port: int,
    encoders: list[str],
    readers: list[str],
) -> None:
    questions = [
        {"question": q["question"], "as_of": q["question_date"]}
        for q in map(json.loads, (DATASET / "questions-dev.jsonl").open(encoding="utf-8"))
    ]
    rows, memory = [], []
    # One server after the other, each alone on the machine.
    for encoder, reader in itertools.product(encoders, readers):
        env = {
            **os.environ,
            "BYLINE_DATA_DIR": str(data_dir),
            "BYLINE_LOG_LEVEL": "warning",
            "BYLINE_QUERY_ENCODER": encoder,
            "BYLINE_READER": reader,
        }
        label = f"{encoder}/reader {reader}"
        started = time.perf_counter()
        server = subprocess.Popen([BYLINE, "serve", "--port", str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                while _status(client) != 200:
                    if server.poll() is not None:
                        raise SystemExit("the server exited")
                    time.sleep(0.2)
                ready_s = time.perf_counter() - started
                print(f"{label}: ready in {ready_s:.1f} s: {client.get('/readyz').json()}")
                for body in questions[:20]:  # warm-up, not measured
                    client.post("/ask", json=body)
            for level in levels:
                latencies, errors = _load(base, questions, level, seconds)
                done = len(latencies)
                rows.append(
                    f"{label:>16}  {level:>11}  {done:>8}  {done / seconds:5.1f}"
                    f"  {percentile(latencies, 0.5):7.1f}  {percentile(latencies, 0.95):7.1f}"
                    f"  {percentile(latencies, 0.99):7.1f}  {errors:>6}"
                )
            memory.append(
                f"{label:>16}  ready in {ready_s:5.1f} s  peak memory (VmHWM)"
                f" {_peak_mib(server.pid):,.0f} MiB"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("   encoder/reader  concurrency  requests  req/s    p50 ms   p95 ms   p99 ms  errors")
    print("\n".join(rows))
    print("\n".join(memory))


def bench_cold(data_dir: Path, runs: int) -> None:
    """``byline ask`` from a cold process, before (torch, BM25 built at start; building now
    also saves it), each change alone, and after (ONNX, the saved BM25 matrix), alternating;
    wall time and peak memory of each process."""
    question = "How much military aid did NATO allies pledge to Ukraine?"
    saved = data_dir / "lexical.bm25"
    sides = {
        "torch, BM25 built": {"BYLINE_QUERY_ENCODER": "torch"},
        "torch, BM25 saved": {"BYLINE_QUERY_ENCODER": "torch"},
        "onnx, BM25 saved": {"BYLINE_QUERY_ENCODER": "onnx"},
    }
    results: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    for _ in range(runs):
        for side, extra in sides.items():
            if side.endswith("built"):
                shutil.rmtree(saved, ignore_errors=True)  # as before the matrix was saved
            env = {**os.environ, "BYLINE_DATA_DIR": str(data_dir), **extra}
            started = time.perf_counter()
            process = subprocess.Popen(
                [BYLINE, "ask", question], env=env, stdout=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
            if status:
                raise SystemExit(f"byline ask failed ({side})")
            results[side].append((elapsed, usage.ru_maxrss / 1024))
    for side, got in results.items():
        times = sorted(t for t, _ in got)
        print(
            f"{side:<20} cold byline ask: median {statistics.median(times):.2f} s"
            f" (min {times[0]:.2f}, max {times[-1]:.2f}),"
            f" peak memory {max(m for _, m in got):,.0f} MiB, {runs} runs"
        )


def _status(client: httpx.Client) -> int:
    try:
        return client.get("/readyz").status_code
    except httpx.TransportError:
        return 0


def _load(
    base: str, questions: list[dict[str, str]], level: int, seconds: float
) -> tuple[list[float], int]:
    """``level`` clients, each asking in turn until the time is up."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                body = questions[next(counter) % len(questions)]
                started = time.perf_counter()
                try:
                    ok = http.post("/ask", json=body).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    threads = [threading.Thread(target=client) for _ in range(level)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Recording:
    """The embedder, noting every text that ingest embeds."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.texts: list[str] = []

    def embed(self, texts: list[str], batch_size: int = 32) -> list[list[float]]:
        self.texts += texts
        return self.embedder.embed(texts, batch_size)


def bench_ingest(limit: int | None, slice_size: int, data_dir: Path | None, raw_same: bool) -> None:
    corpus = DATASET / "corpus.jsonl.gz"
    articles = list(itertools.islice(read_jsonl(corpus), limit))
    seconds = {"ingest": 0.0, "fp32": 0.0, "same": 0.0}
    chunks = 0
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings().updated(data_dir=data_dir or Path(scratch))
        threads = settings.ingest.ingest_threads
        embedder = load_embedder(settings, threads)  # torch, as `byline ingest` embeds
        components = Components.of(settings, embedder)
        baseline = Embedder(settings.embedding.model_path, threads, precision="fp32")
        batch = settings.ingest.embed_batch_size
        recording = _Recording(embedder)
        max_tokens = min(settings.ingest.chunk_max_tokens, embedder.max_tokens)
        chunker = Chunker(embedder.count_pieces, max_tokens, settings.ingest.chunk_overlap_tokens)
        writer = IndexWriter(components.store, components.lexical, embedder.identity)
        ingestor = Ingestor(writer, recording, chunker, batch)
        print(f"ingest embeds in {embedder.precision}; the baseline encodes in fp32", flush=True)
        # Slices alternate ingest and raw encode, so anything else slowing the machine
        # for a while slows both sides alike rather than skewing the ratio.
        for first in range(0, len(articles), slice_size):
            recording.texts = []
            started = time.perf_counter()
            summary = ingestor.ingest(articles[first : first + slice_size])
            seconds["ingest"] += time.perf_counter() - started
            started = time.perf_counter()
            baseline.embed(recording.texts, batch)
            seconds["fp32"] += time.perf_counter() - started
            if raw_same:
                started = time.perf_counter()
                embedder.embed(recording.texts, batch)
                seconds["same"] += time.perf_counter() - started
            chunks += summary.chunks_embedded
            rates = {side: chunks / s for side, s in seconds.items() if s}
            print(
                f"{min(first + slice_size, len(articles)):>5} articles, {chunks} chunks:"
                + "".join(f" {side} {rate:.1f}/s" for side, rate in rates.items()),
                flush=True,
            )
    rates = {side: chunks / s for side, s in seconds.items() if s}
    print(
        f"ingest ({embedder.precision}): {len(articles)} articles, {chunks} chunks in"
        f" {seconds['ingest']:.1f} s = {rates['ingest']:.1f} chunks/s\n"
        f"raw fp32 encode of the same chunks in {seconds['fp32']:.1f} s"
        f" = {rates['fp32']:.1f} chunks/s\n"
        f"ingest / raw fp32 encode: {rates['ingest'] / rates['fp32']:.2f}x"
    )
    if raw_same:
        print(
            f"raw {embedder.precision} encode: {rates['same']:.1f} chunks/s;"
            f" ingest / raw {embedder.precision}: {rates['ingest'] / rates['same']:.1%}"
        )
    print(f"peak resident memory of this process: {_peak_mib(os.getpid()):,.0f} MiB")


if __name__ == "__main__":
    main()
