"""Ingest survives SIGKILL at any batch, and one embedded store has one writer at a time."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import ChromaStore
from rag.adapters.writelock import exclusive_writer
from rag.answering.candidates import read_sentences

BYLINE = str(Path(sys.executable).parent / "byline")
ARTICLES = 16


def write_corpus(path: Path) -> None:
    """Articles of three to four chunks each, every sentence its own."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(ARTICLES):
            paragraphs = [
                " ".join(
                    f"The council of district {i} voted on measure {p}-{j}, and {i * 7 + j} "
                    f"members backed the plan for road {p * 13 + j} after a long debate."
                    for j in range(6)
                )
                for p in range(6)
            ]
            record = {
                "url": f"https://example-news.test/2024/10/{i:02d}/council",
                "title": f"District {i} council votes",
                "outlet": "Example News",
                "published_at": "2024-10-20",
                "text": "\n\n".join(paragraphs),
            }
            out.write(json.dumps(record) + "\n")


def command(data_dir: Path, corpus: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "BYLINE_DATA_DIR": str(data_dir), "BYLINE_EMBED_BATCH_SIZE": "1"}
    return [BYLINE, "ingest", "--quiet", str(corpus)], env


def ingest(data_dir: Path, corpus: Path) -> subprocess.CompletedProcess[str]:
    args, env = command(data_dir, corpus)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)


def start_ingest(data_dir: Path, corpus: Path) -> subprocess.Popen[bytes]:
    args, env = command(data_dir, corpus)
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def state(data_dir: Path) -> tuple[set[str], set[str]]:
    store = ChromaStore(data_dir, "byline_chunks")
    return store.all_ids(), LexicalIndex(data_dir, store, read_sentences).chunk_ids()


def wait_for_writes(data_dir: Path, process: subprocess.Popen[bytes], writes: int) -> bool:
    """True once the ingest has committed ``writes`` batches (the generation file changed)."""
    generation, seen = data_dir / "generation", []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        token = generation.read_text() if generation.exists() else ""
        if token and (not seen or seen[-1] != token):
            seen.append(token)
            if len(seen) >= writes:
                return True
        time.sleep(0.005)
    return False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "council.jsonl"
    write_corpus(path)
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> set[str]:
    data_dir = tmp_path_factory.mktemp("clean")
    done = ingest(data_dir, corpus)
    assert done.returncode == 0, done.stderr
    ids, lexical = state(data_dir)
    assert ids == lexical and len(ids) > 3 * 16  # several batches of 16 chunks
    return ids


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_ingest_rerun_ends_exactly_like_a_clean_one(
    tmp_path: Path, corpus: Path, clean: set[str], seed: int
) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    victim = start_ingest(data_dir, corpus)
    assert wait_for_writes(data_dir, victim, rng.randint(1, 3)), "the ingest never wrote"
    time.sleep(rng.uniform(0, 0.3))  # anywhere inside the next batch
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    partial, _ = state(data_dir)
    assert partial < clean  # it really stopped half-way
    rerun = ingest(data_dir, corpus)
    assert rerun.returncode == 0, rerun.stderr
    ids, lexical = state(data_dir)
    assert ids == clean and lexical == clean


def test_a_second_writer_fails_at_once_with_a_clear_message(tmp_path: Path, corpus: Path) -> None:
    data_dir = tmp_path / "data"
    with exclusive_writer(data_dir):
        # It returns while the lock is still held: it failed at once rather than wait for it.
        second = ingest(data_dir, corpus)
        assert second.returncode == 2
        assert f"another ingest (pid {os.getpid()}) is writing to {data_dir}" in second.stderr
    assert not (data_dir / "chroma").exists()  # it touched nothing
