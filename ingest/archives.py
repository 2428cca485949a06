"""Web archives (WARC, the format of Common Crawl's CC-NEWS and of newsrooms' crawlers) into
Articles: each HTML response record is a page, its target URI and date the fallbacks for the
page's own; every other record (requests, metadata, images, PDFs) is passed over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ingest.dates import parse_date
from ingest.pages import HTML_TYPES, Hints, read_page
from ingest.records import Parsed
from rag.errors import IngestError

# A record's page above this is refused, as the fetcher refuses one (BYLINE_FETCH_MAX_BYTES).
MAX_RECORD_BYTES = 10_000_000


def read_warc(path: Path) -> Iterator[Parsed]:
    """The archive's pages, in order; a page without an article is one rejection, a broken
    archive stops at the break with one line (the pages before it are kept)."""
    number = 0
    try:
        with path.open("rb") as handle:
            for number, record in enumerate(ArchiveIterator(handle), start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                kind = (record.http_headers.get_header("Content-Type") or "").lower()
                if not kind.startswith(HTML_TYPES):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                where = f"{path}: record {number} ({uri or 'no URI'})"
                html = record.content_stream().read(MAX_RECORD_BYTES + 1)
                if len(html) > MAX_RECORD_BYTES:
                    yield IngestError(f"{where}: page over {MAX_RECORD_BYTES:,} bytes, skipped")
                    continue
                dated = parse_date(record.rec_headers.get_header("WARC-Date") or "")
                try:
                    yield read_page(html, uri or where, Hints(url=uri, published_at=dated))
                except IngestError as exc:
                    yield IngestError(f"{where}: {exc.message.split(': ', 1)[-1]}")
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        yield IngestError(f"{path}: not a readable WARC after record {number} ({exc})")
