"""Walk files and folders and turn each supported file into Articles (or rejections)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.decoding import Undecodable, decode
from ingest.pages import read_page
from ingest.raw_text import parse_raw_article
from ingest.records import Parsed, open_bytes, read_json, read_jsonl
from rag.errors import IngestError

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
JSON_SUFFIXES = (".json", ".json.gz")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
SUPPORTED = TEXT_SUFFIXES + JSONL_SUFFIXES + JSON_SUFFIXES + HTML_SUFFIXES + WARC_SUFFIXES


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


def read_articles(path: Path, on_note: Callable[[str], None] | None = None) -> Iterator[Parsed]:
    """The file's articles (or rejections); ``on_note`` hears how a text file was decoded when
    it was not plain UTF-8."""
    name = path.name.lower()
    try:
        if path.stat().st_size == 0:
            yield IngestError(f"{path}: empty file")
            return
    except OSError as exc:
        yield IngestError(f"{path}: cannot read ({exc.strerror or exc})")
        return
    if name.endswith(JSONL_SUFFIXES):
        yield from read_jsonl(path)
    elif name.endswith(JSON_SUFFIXES):
        yield from read_json(path)
    elif name.endswith(HTML_SUFFIXES):
        yield _page_file(path)
    elif name.endswith(WARC_SUFFIXES):
        from ingest.archives import read_warc

        yield from read_warc(path)
    else:
        try:
            decoded = decode(path.read_bytes())
        except Undecodable as exc:
            yield IngestError(f"{path}: {exc}")
            return
        except OSError as exc:
            yield IngestError(f"{path}: cannot read ({exc.strerror or exc})")
            return
        if on_note and decoded.encoding != "utf-8":
            on_note(f"{path}: not UTF-8; decoded as {decoded.encoding}")
        if on_note and decoded.repaired:
            on_note(f"{path}: mojibake repaired")
        try:
            # The absolute path names the file's article across runs from any directory.
            yield parse_raw_article(decoded.text, str(path.resolve()))
        except IngestError as exc:
            yield exc


def _page_file(path: Path) -> Parsed:
    try:
        with open_bytes(path) as handle:
            html = handle.read()
    except (OSError, EOFError) as exc:  # a truncated gzip is an EOFError
        return IngestError(f"{path}: cannot read ({exc})")
    try:
        return read_page(html, str(path.resolve()))
    except IngestError as exc:
        return exc


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)
