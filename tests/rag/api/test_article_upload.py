"""POST /articles on the embedded store: ingest over HTTP, with the envelope for what it refuses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.adapters.embedder import Embedder
from tests.conftest import STORM, STORM_QUESTION, components_at, serving
from tests.rag.api.test_api import assert_envelope

HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from rag.adapters.writelock import exclusive_writer
with exclusive_writer(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def api(tmp_path: Path, embedder: Embedder) -> Iterator[httpx.Client]:
    with serving(components_at(tmp_path / "data", embedder).settings) as client:
        yield client


def test_an_article_posted_is_answerable_and_versioned(api: httpx.Client) -> None:
    # A date the schema can tell is none is a field error; one the ingester refuses is 400.
    not_a_date = api.post("/articles", json={**STORM, "published_at": "soon"})
    assert_envelope(not_a_date, 422, "invalid_request")
    assert not_a_date.json()["error"]["param"] == "published_at"
    assert_envelope(
        api.post("/articles", json={**STORM, "title": "\u200b\u200b"}), 400, "ingest_error"
    )
    assert_envelope(api.post("/articles", json={"title": "No body"}), 422, "invalid_request")
    assert api.get("/articles").json()["total"] == 0  # nothing half-stored

    added = api.post("/articles", json=STORM).json()
    assert added["status"] == "new" and added["chunks_embedded"] >= 1
    body = api.post("/ask", json=STORM_QUESTION).json()
    assert "40 container ships" in body["answer"]
    assert api.post("/articles", json=STORM).json()["status"] == "unchanged"

    edited = {**STORM, "body": "The port of Rotterdam reopened on Tuesday after the storm passed."}
    updated = api.post("/articles", json=edited).json()
    assert updated["status"] == "updated" and updated["chunks_deleted"] >= 1
    assert api.get("/articles").json()["total"] == 1
    assert (
        "reopened on Tuesday"
        in api.post(
            "/ask", json=STORM_QUESTION | {"question": "When did the Rotterdam port reopen?"}
        ).json()["answer"]
    )


def test_a_running_ingest_makes_posting_wait_with_409(api: httpx.Client, tmp_path: Path) -> None:
    command = [sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path / "data")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert_envelope(api.post("/articles", json=STORM), 409, "store_busy")
        finally:
            holder.kill()
    assert api.post("/articles", json=STORM).json()["status"] == "new"


def test_405_names_every_method_of_the_path(api: httpx.Client) -> None:
    response = api.request("OPTIONS", "/articles")
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD, POST"
