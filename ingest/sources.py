"""Walk files and folders and turn each supported file into Articles (or rejections)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.raw_text import parse_raw_article
from ingest.records import Parsed, read_json, read_jsonl
from rag.errors import IngestError

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
JSON_SUFFIXES = (".json", ".json.gz")
SUPPORTED = TEXT_SUFFIXES + JSONL_SUFFIXES + JSON_SUFFIXES


def find_files(paths: Iterable[Path]) -> Iterator[Path | IngestError]:
    """Supported files under ``paths`` in a stable order; hidden files and folders skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and _supported(child) and not _hidden(relative):
                    yield child
        elif path.is_file():
            if _supported(path):
                yield path
            else:
                yield IngestError(f"{path}: unsupported file type (expected one of {SUPPORTED})")
        else:
            yield IngestError(f"{path}: no such file or folder")


def read_articles(path: Path) -> Iterator[Parsed]:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        yield from read_jsonl(path)
    elif name.endswith(JSON_SUFFIXES):
        yield from read_json(path)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            yield IngestError(f"{path}: cannot read as UTF-8 text ({exc})")
            return
        try:
            # The absolute path names the file's article across runs from any directory.
            yield parse_raw_article(text, str(path.resolve()))
        except IngestError as exc:
            yield exc


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)
