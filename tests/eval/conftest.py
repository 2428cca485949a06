"""The training stages' small store: RealTime QA's shape, ingested once by the real command."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.cli import main

DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "articles.jsonl.gz"


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training articles ingested by the real command into a store of their own."""
    data_dir = tmp_path_factory.mktemp("train-store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BYLINE_DATA_DIR", str(data_dir))
        assert main(["ingest", "--quiet", str(ARTICLES)]) == 0
    return data_dir
