"""Load benchmarks: /ask under concurrency, ``byline ask`` from a cold process, and ingest
against raw encode; ask and cold side by side with earlier releases.

    .venv/bin/python bench/load.py ask --data-dir DIR [--seconds 60] [--concurrency 1 4 16]
        [--encoders onnx torch] [--readers on off] [--evidence on off]
        [--calibrations on off] [--baseline NAME BYLINE DATA_DIR READERS]...
    .venv/bin/python bench/load.py cold [--runs 5] [--baseline NAME BYLINE - READERS]...
    .venv/bin/python bench/load.py ingest [--articles N] [--slice 250] [--data-dir DIR] [--raw-same]
    .venv/bin/python bench/load.py ingest --whole-process --articles N [--rounds 2]
        [--baseline NAME BYLINE - -]...

An earlier release is measured from a venv of its own: ``git worktree add ../af7 af7a66d``,
``python -m venv ../venv-af7``, a ``.pth`` file in it naming this checkout's ``.venv``
site-packages (the same libraries), ``../venv-af7/bin/pip install --no-deps -e ../af7``; then
``--baseline af7a66d ../venv-af7/bin/byline STORE -`` (READERS: the BYLINE_READER values to run
it with, comma-separated, ``-`` for a release without a reader; STORE: its own copy of the
store, since a release may upgrade what it opens).

``ask`` starts each build's ``byline serve`` on its store (one that already holds the RealTime
QA corpus) in its own process on a loopback port, once per query encoder, reader and evidence
setting, then, from this process, keeps C requests in flight for the given time at each
concurrency,
asking the dev questions in turn as of their dates. It prints the CPU, throughput,
p50/p95/p99 latency, errors, the time to ready and each server's peak resident memory (VmHWM).

``cold`` ingests the sample articles with each build into a store of its own, then runs each
build's ``byline ask`` (reader on where it has one) in a new process, in turn, ``--runs``
times: wall time, bytes printed on stderr, peak memory; then the time of ``import rag.cli``.

``ingest`` reads the first N corpus articles (default: all 7,587) and, slice by slice, ingests
them into a fresh embedded store (kept in DIR if given), then encodes exactly the chunks that
ingest embedded with sentence-transformers alone in fp32 (same model, batch size and threads):
the old ceiling that ingest is measured against; ``--raw-same`` also encodes them raw in the
ingest's own precision (the new ceiling). ``--whole-process`` times ``byline ingest`` itself
(a process of its own: imports, model load and all) on the first N articles, for each build,
against a raw fp32 encode of the chunks it stored.

Run by hand, never in CI; each part takes the whole machine.
"""

from __future__ import annotations

import argparse
import gzip
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
from dataclasses import dataclass
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
    ask.add_argument("--calibrations", nargs="+", default=["on"], help="BYLINE_CALIBRATION values")
    ask.add_argument("--evidence", nargs="+", default=["on"], help="BYLINE_EVIDENCE values")
    cold = parts.add_parser("cold")
    cold.add_argument("--runs", type=int, default=5)
    ingest = parts.add_parser("ingest")
    ingest.add_argument("--articles", type=int, default=None)
    ingest.add_argument("--slice", type=int, default=250)
    ingest.add_argument("--data-dir", type=Path, help="keep the store here (a new dir)")
    ingest.add_argument(
        "--whole-process",
        action="store_true",
        help="time `byline ingest` as a process (start-up included) against a raw fp32 encode",
    )
    ingest.add_argument("--rounds", type=int, default=2, help="with --whole-process")
    ingest.add_argument(
        "--raw-same", action="store_true", help="also encode raw in the ingest's precision"
    )
    for part in (ask, cold, ingest):
        part.add_argument(
            "--baseline",
            nargs=4,
            action="append",
            default=[],
            metavar=("NAME", "BYLINE", "DATA_DIR", "READERS"),
            help="also measure an earlier release: its byline script (a venv of its own), its"
            " copy of the store (ask), BYLINE_READER values (on,off; - for none)",
        )
    args = parser.parse_args()
    if args.part == "ask":
        ours = Side(
            "this",
            BYLINE,
            args.data_dir,
            tuple(args.readers),
            tuple(args.evidence),
            tuple(args.calibrations),
        )
        bench_ask(
            sides_of(ours, args.baseline), args.seconds, args.concurrency, args.port, args.encoders
        )
    elif args.part == "cold":
        ours = Side("this", BYLINE, Path(), ("on",))
        bench_cold(sides_of(ours, args.baseline), args.runs)
    else:
        if args.whole_process:
            ours = Side("this", BYLINE, Path(), ("-",))
            bench_ingest_process(sides_of(ours, args.baseline), args.articles, args.rounds)
        else:
            bench_ingest(args.articles, args.slice, args.data_dir, args.raw_same)


@dataclass(frozen=True)
class Side:
    """One build measured: this checkout, or an earlier release installed in a venv of its own
    (``--baseline``: its ``byline`` script and its own copy of the store, as that release wrote
    or upgraded it)."""

    name: str
    byline: str
    data_dir: Path
    readers: tuple[str, ...]  # BYLINE_READER values it is run with ("-": it has no reader)
    evidence: tuple[str, ...] = ("-",)  # BYLINE_EVIDENCE values ("-": it has none)
    calibrations: tuple[str, ...] = ("-",)  # BYLINE_CALIBRATION values ("-": it has none)


def sides_of(ours: Side, baselines: list[list[str]]) -> list[Side]:
    """This checkout, then each ``--baseline NAME BYLINE DATA_DIR READERS`` (READERS: the
    BYLINE_READER values to run it with, comma-separated, or ``-`` for a release without one)."""
    return [ours] + [
        Side(name, byline, Path(data_dir), tuple(readers.split(",")))
        for name, byline, data_dir, readers in baselines
    ]


def bench_ask(
    sides: list[Side],
    seconds: float,
    levels: list[int],
    port: int,
    encoders: list[str],
) -> None:
    questions = [
        {"question": q["question"], "as_of": q["question_date"]}
        for q in map(json.loads, (DATASET / "questions-dev.jsonl").open(encoding="utf-8"))
    ]
    rows, memory = [], []
    # One server after the other, each alone on the machine.
    for side, encoder in itertools.product(sides, encoders):
        for reader, evidence, calibration in itertools.product(
            side.readers, side.evidence, side.calibrations
        ):
            env = {
                **os.environ,
                "BYLINE_DATA_DIR": str(side.data_dir),
                "BYLINE_LOG_LEVEL": "warning",
                "BYLINE_QUERY_ENCODER": encoder,
            }
            if reader != "-":
                env["BYLINE_READER"] = reader
            if evidence != "-":
                env["BYLINE_EVIDENCE"] = evidence
            if calibration != "-":
                env["BYLINE_CALIBRATION"] = calibration
            label = f"{side.name}/{encoder}/reader {reader}/evidence {evidence}/cal {calibration}"
            started = time.perf_counter()
            server = subprocess.Popen([side.byline, "serve", "--port", str(port)], env=env)
            base = f"http://127.0.0.1:{port}"
            try:
                with httpx.Client(base_url=base, timeout=60) as client:
                    while _status(client) != 200:
                        if server.poll() is not None:
                            raise SystemExit(f"the server exited ({label})")
                        time.sleep(0.2)
                    ready_s = time.perf_counter() - started
                    print(f"{label}: ready in {ready_s:.1f} s", file=sys.stderr)
                    for body in questions[:20]:  # warm-up, not measured
                        client.post("/ask", json=body)
                for level in levels:
                    latencies, errors = _load(base, questions, level, seconds)
                    done = len(latencies)
                    rows.append(
                        f"{label:>56}  {level:>11}  {done:>8}  {done / seconds:5.1f}"
                        f"  {percentile(latencies, 0.5):7.1f}  {percentile(latencies, 0.95):7.1f}"
                        f"  {percentile(latencies, 0.99):7.1f}  {errors:>6}"
                    )
                memory.append(
                    f"{label:>56}  ready in {ready_s:5.1f} s  peak memory (VmHWM)"
                    f" {_peak_mib(server.pid):,.0f} MiB"
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(f"CPU: {_cpu()}")
    print(
        f"{'build/encoder/reader/evidence/calibration':>56}  concurrency  requests  req/s"
        "    p50 ms   p95 ms   p99 ms  errors"
    )
    print("\n".join(rows))
    print("\n".join(memory))


def bench_cold(sides: list[Side], runs: int) -> None:
    """``byline ask`` over the sample articles from a cold process, each build in turn (each
    with the sample articles ingested by itself into a store of its own), reader on where the
    build has one; wall time, what it printed on stderr, peak memory; then ``import rag.cli``."""
    question = "How much military aid did NATO say it would deliver to Ukraine?"
    results: dict[str, list[tuple[float, float, int]]] = {side.name: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="byline-cold-") as scratch:
        envs = {}
        for side in sides:
            env = {**os.environ, "BYLINE_DATA_DIR": str(Path(scratch) / side.name)}
            if side.readers != ("-",):
                env["BYLINE_READER"] = "on"
            subprocess.run(
                [side.byline, "ingest", "--quiet", str(ROOT / "examples" / "articles")],
                env=env, check=True, capture_output=True, timeout=600,
            )  # fmt: skip
            envs[side.name] = env
        for _ in range(runs):
            for side in sides:
                started = time.perf_counter()
                process = subprocess.Popen(
                    [side.byline, "ask", question],
                    env=envs[side.name],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                assert process.stderr is not None
                err = process.stderr.read()
                _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
                elapsed = time.perf_counter() - started
                process.returncode = os.waitstatus_to_exitcode(status)
                if process.returncode:
                    raise SystemExit(f"byline ask failed ({side.name}): {err.decode()}")
                results[side.name].append((elapsed, usage.ru_maxrss / 1024, len(err)))
    print(f"CPU: {_cpu()}")
    for side in sides:
        got = results[side.name]
        times = sorted(t for t, _, _ in got)
        print(
            f"{side.name:<12} cold byline ask: median {statistics.median(times):.2f} s"
            f" (min {times[0]:.2f}, max {times[-1]:.2f}), peak memory"
            f" {max(m for _, m, _ in got):,.0f} MiB, stderr {max(e for _, _, e in got)} bytes,"
            f" import rag.cli {_import_time(side):.2f} s (median of {runs})"
        )


def _import_time(side: Side, runs: int = 5) -> float:
    python = str(Path(side.byline).parent / "python")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-P", "-c", "import rag.cli"], check=True, timeout=120)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _cpu() -> str:
    """The CPU's model name and whether it has native bf16 (timings depend on both)."""
    text = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                  if line.startswith("model name")), "unknown")  # fmt: skip
    flags = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in text]
    return f"{model}, {os.cpu_count()} cores, {' '.join(flags)}"


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


def bench_ingest_process(sides: list[Side], limit: int | None, rounds: int) -> None:
    """Each build's ``byline ingest`` of the first N articles as a whole process (start-up,
    model load and all) into a fresh store, each followed by a raw fp32 encode of exactly the
    chunks it stored (sentence-transformers alone, in this warm process: batch 32, torch on all
    cores), builds and rounds alternating; the medians."""
    with gzip.open(DATASET / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        articles = list(itertools.islice(lines, limit))  # the export's own records
    settings = Settings()
    baseline = Embedder(settings.embedding.model_path, settings.ingest.ingest_threads, "fp32")
    times: dict[str, dict[str, list[float]]] = {s.name: {"ingest": [], "fp32": []} for s in sides}
    chunks: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="byline-ingest-") as scratch:
        export = Path(scratch) / "articles.jsonl"
        export.write_text("".join(articles), encoding="utf-8")
        for round_, side in itertools.product(range(rounds), sides):
            data_dir = Path(scratch) / f"{side.name}-{round_}"
            env = {**os.environ, "BYLINE_DATA_DIR": str(data_dir)}
            started = time.perf_counter()
            subprocess.run([side.byline, "ingest", "--quiet", str(export)], env=env, check=True)
            times[side.name]["ingest"].append(time.perf_counter() - started)
            store = Components.of(Settings().updated(data_dir=data_dir), baseline).store
            stored = store.documents(sorted(store.all_ids()))
            texts = [f"{meta['title']}\n{text}" for _, text, meta in stored]
            chunks[side.name] = len(texts)
            started = time.perf_counter()
            baseline.embed(texts, settings.ingest.embed_batch_size)
            times[side.name]["fp32"].append(time.perf_counter() - started)
            shutil.rmtree(data_dir)
    precision = settings.embedding.embed_precision
    print(f"CPU: {_cpu()}; BYLINE_EMBED_PRECISION={precision}; {len(articles)} articles")
    for side in sides:
        ingest_s = statistics.median(times[side.name]["ingest"])
        fp32_s = statistics.median(times[side.name]["fp32"])
        n = chunks[side.name]
        print(
            f"{side.name}: byline ingest, whole process: {n} chunks in {ingest_s:.1f} s ="
            f" {n / ingest_s:.1f} chunks/s; raw fp32 encode of the same chunks {fp32_s:.1f} s ="
            f" {n / fp32_s:.1f} chunks/s; ingest / raw fp32: {fp32_s / ingest_s:.2f}x"
            f" (rounds: ingest {times[side.name]['ingest']}, fp32 {times[side.name]['fp32']})"
        )


if __name__ == "__main__":
    main()
