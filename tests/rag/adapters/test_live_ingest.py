"""A running server answers from articles that a separate `byline ingest` process added."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from rag.adapters.embedder import Embedder
from rag.settings import Settings
from tests.conftest import SEEDS, STORM, STORM_QUESTION, components_at, serving
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


def test_the_catalogue_follows_ingest_and_fills_itself_once(
    tmp_path: Path, embedder: Embedder
) -> None:
    components = components_at(tmp_path / "data", embedder)
    components.ingestor().ingest_paths([SEEDS])
    assert components.catalogue.articles(10, 0).total == 2
    # A catalogue written before this table existed (simulated by emptying it) fills from the
    # store on first use, and lists exactly what a scan of the store lists.
    with sqlite3.connect(tmp_path / "data" / "lexical.sqlite") as db:
        db.execute("delete from articles")
        db.execute("delete from meta")
    reopened = components_at(tmp_path / "data", embedder)
    page = reopened.catalogue.articles(10, 0)
    scanned = sorted((head for _, head in reopened.store.article_heads()), key=lambda h: h.id)
    assert sorted(page.items, key=lambda h: h.id) == scanned and page.total == 2
    # An edited article keeps one row, with its new title; the outlet counts follow.
    record = {**STORM, "title": "Storm shuts Rotterdam port"}
    reopened.add_article(STORM)
    reopened.add_article(record)
    titles = [head.title for head in reopened.catalogue.articles(10, 0).items]
    assert titles.count("Storm shuts Rotterdam port") == 1 and STORM["title"] not in titles
    total, outlets = reopened.catalogue.outlets()
    assert total == 3 and ("Example Wire", 1, "2024-11-02T00:00:00+00:00") in [
        (o.outlet, o.articles, o.newest) for o in outlets
    ]
