"""Shared fixtures: the real model, a real embedded Chroma with the seed articles, a real server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from rag.adapters.embedder import Embedder
from rag.api.app import create_app
from rag.settings import Settings, get_settings
from rag.wiring import Components

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "articles"
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
# An article that the sample articles know nothing about, as an export record.
STORM = {
    "title": "Storm closes Rotterdam port",
    "body": "A powerful storm closed the port of Rotterdam on Monday, stranding 40 container "
    "ships. Officials said the port would reopen on Wednesday.",
    "outlet": "Example Wire",
    "url": "https://example.org/storm",
    "published_at": "2024-11-02",
}
STORM_QUESTION = {"question": "How many container ships were stranded in Rotterdam?"}


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ONNX copy of the model is exported once per test session into a cache of its own,
    never into the user's ~/.cache (child processes inherit the variable)."""
    cache = tmp_path_factory.mktemp("byline-cache")
    before = os.environ.get("BYLINE_CACHE_DIR")
    os.environ["BYLINE_CACHE_DIR"] = str(cache)
    yield cache
    if before is None:
        os.environ.pop("BYLINE_CACHE_DIR", None)
    else:
        os.environ["BYLINE_CACHE_DIR"] = before


@pytest.fixture(autouse=True)
def settings_read_afresh() -> Iterator[None]:
    """``main()`` caches the settings it reads from the environment: each test reads its own,
    or a test that sets ``BYLINE_DATA_DIR`` would write into the store an earlier test read."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(threads=0)


def components_at(data_dir: Path, embedder: Embedder, **overrides: object) -> Components:
    settings = Settings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]
    return Components.of(settings, embedder)


@pytest.fixture
def fresh(tmp_path: Path, embedder: Embedder) -> Components:
    """An empty store of this test's own."""
    return components_at(tmp_path / "data", embedder)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Components:
    """The two sample articles ingested once for the whole session (read-only for tests)."""
    components = components_at(tmp_path_factory.mktemp("seeded"), embedder)
    summary = components.ingestor().ingest_paths([SEEDS])
    assert summary.new == 2 and summary.rejected == 0
    return components


def readiness(client: httpx.Client) -> int:
    """The status of ``GET /readyz``; 0 while nothing listens."""
    try:
        return client.get("/readyz").status_code
    except httpx.TransportError:
        return 0


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(settings: Settings, ready: bool = True) -> Iterator[httpx.Client]:
    """The real app served by uvicorn on a loopback port, once it reports ready (or, with
    ``ready=False``, once it answers at all)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_for(
                lambda: (status := readiness(client)) == 200 or (not ready and status != 0),
                f"the API on port {port}",
                60,
            )
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def api(seeded: Components) -> Iterator[httpx.Client]:
    """The API over the seeded store."""
    with serving(seeded.settings) as client:
        yield client
