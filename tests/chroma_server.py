"""A real ``chroma run`` server (the CLI that the chromadb package installs) on a loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

CHROMA = str(Path(sys.executable).parent / "chroma")


class ChromaServer:
    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [CHROMA, "run", "--path", str(self.path), "--host", "127.0.0.1"]
        with (self.path.parent / f"chroma-{self.port}.log").open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self._process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"chroma run did not come up on {self.url}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None

    def retire(self) -> None:
        """Stop for good, closing this process's clients of it (a stopped server may come
        back, and its clients with it; a retired one does not)."""
        self.stop()
        close_clients_of(self.port)


def close_clients_of(port: int) -> None:
    """Close the HTTP connections this process's Chroma clients keep to the server on ``port``.
    Chroma keeps every client's system for the life of the process and never closes its
    connection pool; a server process lives as long as its clients, a test's does not."""
    from chromadb.api.fastapi import FastAPI as ChromaHttpAPI
    from chromadb.api.shared_system_client import SharedSystemClient

    for system in list(SharedSystemClient._identifier_to_system.values()):
        settings = system.settings
        if settings.chroma_api_impl.endswith(".FastAPI") and (
            str(settings.chroma_server_http_port) == str(port)
        ):
            system.instance(ChromaHttpAPI)._session.close()
