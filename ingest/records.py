"""JSON and JSONL exports (optionally gzipped) into Articles, one record at a time.

Accepted fields: ``title``, ``url``, ``outlet`` or ``source``, ``published_at`` (or ``date``),
``author``, ``body`` or ``text``, or ``html`` (the page, read as ``ingest.pages`` reads a page
file; the record's other fields fill what the page does not say). The RealTime QA corpus
(``corpus.jsonl.gz``) and the MultiHop-RAG ``corpus.json`` load as they are. A bad record is
reported with its line (JSONL) or item number (JSON array) and skipped; the others still load.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ingest.dates import parse_date
from ingest.decoding import repair_mojibake
from ingest.pages import Hints, read_page
from ingest.raw_text import UNKNOWN_OUTLET
from rag.domain.models import Article
from rag.domain.outlets import outlet_of_url
from rag.domain.text import normalize_text
from rag.errors import IngestError

Parsed = Article | IngestError


def open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def open_bytes(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes
    return path.open("rb")


def read_jsonl(path: Path) -> Iterator[Parsed]:
    """Line by line in bytes: a line that is not UTF-8 is one rejected record, not the file."""
    number = 0
    try:
        with open_bytes(path) as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
                except UnicodeDecodeError:
                    yield IngestError(f"{where}: not UTF-8 (JSON is always UTF-8)")
                    continue
                except json.JSONDecodeError as exc:
                    yield IngestError(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}")
                    continue
                yield _article_or_error(record, where)
    except (OSError, EOFError) as exc:
        yield IngestError(f"{path}:{number + 1}: cannot read ({exc}); the rest skipped")


def read_json(path: Path) -> Iterator[Parsed]:
    with open_text(path) as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            yield IngestError(f"{path}:{exc.lineno}: invalid JSON at column {exc.colno}: {exc.msg}")
            return
        except UnicodeDecodeError:
            yield IngestError(f"{path}: not UTF-8 (JSON is always UTF-8)")
            return
        except (OSError, EOFError) as exc:
            yield IngestError(f"{path}: cannot read ({exc})")
            return
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, dict):
        yield _article_or_error(data, str(path))
    elif isinstance(data, list):
        for number, record in enumerate(data, start=1):
            yield _article_or_error(record, f"{path}: item {number}")
    else:
        yield IngestError(f"{path}: expected an article object or a list of them")


def _article_or_error(record: Any, where: str) -> Parsed:
    try:
        return article_from_record(record, where)
    except IngestError as exc:
        return exc


def article_from_record(record: Any, where: str) -> Article:
    if not isinstance(record, dict):
        raise IngestError(f"{where}: expected a JSON object, got {type(record).__name__}")
    title = _text_field(record, where, "title")
    body = _text_field(record, where, "body", "text", "content")
    if not body and isinstance(record.get("html"), str):
        return _page_record(record, where, title)
    if not title:
        raise IngestError(f"{where}: missing 'title'")
    if not body:
        raise IngestError(f"{where}: missing 'body' (or 'text')")
    url = _text_field(record, where, "url", "link")
    published_raw = _text_field(record, where, "published_at", "date", "published")
    published = parse_date(published_raw) if published_raw else None
    if published_raw and published is None:
        raise IngestError(f"{where}: 'published_at' {published_raw!r} is not a date")
    outlet = _text_field(record, where, "outlet", "source")
    return Article(
        title=title,
        body=body,
        outlet=outlet or (outlet_of_url(url) if url else None) or UNKNOWN_OUTLET,
        url=url,
        author=_text_field(record, where, "author"),
        published_at=published,
        source=where,
    )


def _page_record(record: dict[str, Any], where: str, title: str) -> Article:
    url = _text_field(record, where, "url", "link")
    published_raw = _text_field(record, where, "published_at", "date", "published")
    hints = Hints(url=url, published_at=parse_date(published_raw), title=title)
    page = read_page(record["html"], where, hints)
    outlet = _text_field(record, where, "outlet", "source")
    author = _text_field(record, where, "author")
    return replace(page, outlet=outlet or page.outlet, author=author or page.author)


def _text_field(record: dict[str, Any], where: str, *names: str) -> str:
    """The first of ``names`` present and not null, as clean text."""
    for name in names:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float):
            raise IngestError(f"{where}: '{name}' must be text, got {type(value).__name__}")
        return normalize_text(repair_mojibake(str(value))).strip()
    return ""
