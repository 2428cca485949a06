"""A data dir's generation: a token that every completed write replaces.

Readers in other processes (an API server beside ``byline ingest``) compare it with the one they
loaded and reload when it differs; reading it costs one small file read.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


class Generation:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / "generation"

    def read(self) -> str:
        try:
            return self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def bump(self) -> str:
        token = uuid.uuid4().hex
        scratch = self._path.with_suffix(".tmp")
        scratch.write_text(token, encoding="utf-8")
        os.replace(scratch, self._path)  # atomic: readers never see a half-written token
        return token
