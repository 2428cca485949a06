"""Server mode: API and ingest processes sharing one real ``chroma run`` server."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import rag.adapters.sync
from rag.adapters.changelog import ChangeLog
from rag.adapters.embedder import Embedder
from rag.settings import Settings
from tests.chroma_server import ChromaServer
from tests.conftest import (
    SEEDS,
    STORM,
    STORM_QUESTION,
    components_at,
    free_port,
    readiness,
    serving,
    wait_for,
)
from tests.rag.api.test_api import AID_QUESTION, assert_envelope
from tests.test_cli import BYLINE


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "db", free_port())
    server.start()
    yield server
    server.retire()


def server_env(url: str, data_dir: Path, collection: str) -> dict[str, str]:
    return {
        **os.environ,
        "BYLINE_CHROMA_URL": url,
        "BYLINE_DATA_DIR": str(data_dir),
        "BYLINE_COLLECTION": collection,
    }


@contextmanager
def api_process(env: dict[str, str], log: Path) -> Iterator[httpx.Client]:
    """``byline serve`` in its own process, once ready."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [BYLINE, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_for(lambda: readiness(client) == 200, f"API on port {port}")
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def _count(line: str, label: str) -> int:
    found = re.search(rf"{label} (\d+)", line)
    return int(found.group(1)) if found else 0


def test_two_api_processes_and_two_ingest_shards_share_one_server(
    chroma: ChromaServer, tmp_path: Path
) -> None:
    env_of = lambda name: server_env(chroma.url, tmp_path / name, "shared")  # noqa: E731
    with (
        api_process(env_of("api-a"), tmp_path / "api-a.log") as api_a,
        api_process(env_of("api-b"), tmp_path / "api-b.log") as api_b,
    ):
        # Two ingest workers at once, each with its own share of the articles.
        workers = [
            subprocess.Popen(
                [BYLINE, "ingest", "--quiet", "--shard", f"{i}/2", str(SEEDS)],
                env=env_of(f"ingest-{i}"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        outputs = [worker.communicate(timeout=300) for worker in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        lines = [stdout for stdout, _ in outputs]
        assert sum(_count(line, "new") for line in lines) == 2  # each article exactly once
        assert sum(_count(line, "other shards") for line in lines) == 2

        for api in (api_a, api_b):
            body = api.post("/ask", json={"question": AID_QUESTION}).json()
            assert "€40 billion" in body["answer"]
            assert body["citations"][0]["outlet"] == "ICARO Media Group"
            assert api.get("/articles").json()["total"] == 2

        # An article ingested through one API process is answerable through the other.
        assert api_b.post("/ask", json=STORM_QUESTION).json()["declined"] is True
        added = api_a.post("/articles", json=STORM)
        assert added.status_code == 200, added.text
        assert added.json()["status"] == "new"
        body = api_b.post("/ask", json=STORM_QUESTION).json()
        assert "40 container ships" in body["answer"]
        assert body["citations"][0]["outlet"] == "Example Wire"
        assert api_b.get("/articles").json()["total"] == 3
        assert api_a.post("/articles", json=STORM).json()["status"] == "unchanged"


def test_each_hosts_lexical_index_follows_every_writer(
    chroma: ChromaServer, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rag.adapters.sync, "CHECK_EVERY_S", 0.0)  # read the change log every query
    host = {"chroma_url": chroma.url, "collection": "lexical"}
    writer = components_at(tmp_path / "writer", embedder, **host)
    reader = components_at(tmp_path / "reader", embedder, **host)
    assert reader.lexical.search("Rotterdam stranded", 5) == []

    export = tmp_path / "storm.jsonl"
    export.write_text(_jsonl(STORM), encoding="utf-8")
    writer.ingestor().ingest_paths([SEEDS, export])
    assert reader.lexical.search("Rotterdam stranded", 5)
    assert reader.lexical.chunk_ids() == writer.store.all_ids()

    # Same text, new outlet: only the chunks' metadata is rewritten, and the reader sees it.
    writer.ingestor().ingest_paths([_rewrite(export, outlet="Harbour Daily")])
    assert "Harbour Daily" in reader.lexical.outlets()
    assert "Example Wire" not in reader.lexical.outlets()

    # A writer killed after its writes but before their record: the next run announces them.
    idle = "Dredgers wait idle in the harbour."

    def killed(self: ChangeLog, chunk_ids: list[str]) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patched:
        patched.setattr(ChangeLog, "record", killed)
        with pytest.raises(RuntimeError, match="killed"):
            writer.ingestor().ingest_paths([_rewrite(export, body=idle)])
    assert reader.lexical.search("dredgers idle", 5) == []  # searching catches up: nothing
    assert reader.lexical.chunk_ids() != writer.store.all_ids()
    summary = writer.ingestor().ingest_paths([_rewrite(export, body=idle)])
    assert summary.unchanged == 1  # nothing left to write, and yet the reader catches up
    assert reader.lexical.search("dredgers idle", 5)
    assert reader.lexical.chunk_ids() == writer.store.all_ids()

    # A new host's reader starts from the store as it is now.
    late = components_at(tmp_path / "late", embedder, **host)
    assert late.lexical.search("dredgers idle", 5)
    assert late.lexical.chunk_ids() == writer.store.all_ids()


def test_the_server_down_at_start_or_mid_flight_gives_503_then_recovers(tmp_path: Path) -> None:
    chroma = ChromaServer(tmp_path / "db", free_port())
    settings = Settings(data_dir=tmp_path / "api", chroma_url=chroma.url, chroma_timeout_s=5)
    with serving(settings, ready=False) as api:
        # Down at start-up: not ready, and questions get the envelope, not a hang.
        wait_for(lambda: "Chroma server" in api.get("/readyz").text, "a readiness failure")
        assert_envelope(api.get("/readyz"), 503, "not_ready")
        assert_envelope(api.post("/ask", json=STORM_QUESTION), 503, "not_ready")
        chroma.start()
        wait_for(lambda: api.get("/readyz").status_code == 200, "ready once the server is up")
        assert api.post("/articles", json=STORM).status_code == 200

        # Down mid-flight: 503 with the envelope, readiness fails, metrics still answer.
        chroma.stop()
        assert_envelope(api.post("/ask", json=STORM_QUESTION), 503, "store_unavailable")
        assert_envelope(api.get("/readyz"), 503, "store_unavailable")
        assert_envelope(api.post("/articles", json=STORM), 503, "store_unavailable")
        assert api.get("/metrics").status_code == 200

        # Back: the same process answers again, from what the server kept.
        chroma.start()
        body = api.post("/ask", json=STORM_QUESTION).json()
        assert "40 container ships" in body["answer"]
        assert api.get("/readyz").status_code == 200
    chroma.retire()


def _jsonl(record: dict[str, str]) -> str:
    return json.dumps(record) + "\n"


def _rewrite(export: Path, **changes: str) -> Path:
    export.write_text(_jsonl({**STORM, **changes}), encoding="utf-8")
    return export


def test_a_writer_whose_journal_another_writer_announced_still_finishes(
    chroma: ChromaServer, tmp_path: Path, embedder: Embedder
) -> None:
    store = components_at(tmp_path / "w", embedder, chroma_url=chroma.url, collection="race").store
    sync = store.sync
    before = int(sync.token(recheck=True))
    # A second writer starting in this data dir announces this one's journal early.
    with sync.announcing(["chunk-a"]), sync.writing():
        assert int(sync.token(recheck=True)) == before + 1
    assert int(sync.token(recheck=True)) == before + 2  # and this writer after its writes
    with sync.writing():  # the journal is empty now
        assert int(sync.token(recheck=True)) == before + 2
