"""A running server answers from articles that a separate `byline ingest` process added."""

from __future__ import annotations

import json
from pathlib import Path

from rag.settings import Settings
from tests.conftest import SEEDS, serving
from tests.test_cli import run


def test_articles_ingested_by_another_process_are_answerable_without_restart(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert run("ingest", "--quiet", str(SEEDS), data_dir=data_dir).returncode == 0
    export = tmp_path / "storm.jsonl"
    export.write_text(
        json.dumps(
            {
                "title": "Storm closes Rotterdam port",
                "body": "A powerful storm closed the port of Rotterdam on Monday, stranding 40 "
                "container ships. Officials said the port would reopen on Wednesday.",
                "outlet": "Example Wire",
                "url": "https://example.org/storm",
                "published_at": "2024-11-02",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    question = {"question": "How many container ships were stranded in Rotterdam?"}
    with serving(Settings(data_dir=data_dir)) as api:
        assert api.post("/ask", json=question).json()["declined"] is True
        assert run("ingest", "--quiet", str(export), data_dir=data_dir).returncode == 0
        body = api.post("/ask", json=question).json()
        assert "40 container ships" in body["answer"]
        assert body["citations"][0]["outlet"] == "Example Wire"
        assert api.get("/articles").json()["total"] == 3
