"""A running server answers from articles that a separate `byline ingest` process added."""

from __future__ import annotations

import json
from pathlib import Path

from rag.settings import Settings
from tests.conftest import SEEDS, STORM, STORM_QUESTION, serving
from tests.test_cli import run


def test_articles_ingested_by_another_process_are_answerable_without_restart(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert run("ingest", "--quiet", str(SEEDS), data_dir=data_dir).returncode == 0
    export = tmp_path / "storm.jsonl"
    export.write_text(json.dumps(STORM) + "\n", encoding="utf-8")
    question = STORM_QUESTION
    with serving(Settings(data_dir=data_dir)) as api:
        assert api.post("/ask", json=question).json()["declined"] is True
        assert run("ingest", "--quiet", str(export), data_dir=data_dir).returncode == 0
        body = api.post("/ask", json=question).json()
        assert "40 container ships" in body["answer"]
        assert body["citations"][0]["outlet"] == "Example Wire"
        assert api.get("/articles").json()["total"] == 3
