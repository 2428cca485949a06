"""What `byline ingest` is given, read in order: files and folders, then http(s) URLs of pages,
feeds and sitemaps (fetched politely, ``ingest.fetch``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ingest.records import Parsed
from ingest.sources import find_files, read_articles
from rag.domain.models import Article
from rag.errors import IngestError
from rag.settings import FetchSettings


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def read_inputs(
    inputs: Sequence[str], fetch: FetchSettings, on_note: Callable[[str], None] | None = None
) -> Iterator[Parsed]:
    """Every input's articles or rejections; fetching starts only when the files are read."""
    for found in find_files(Path(item) for item in inputs if not is_url(item)):
        if isinstance(found, IngestError):
            yield found
        else:
            yield from read_articles(found, on_note)
    urls = [item for item in inputs if is_url(item)]
    if urls:
        from ingest.fetch import Fetcher
        from ingest.web import WebSource

        with Fetcher(fetch) as fetcher:
            yield from WebSource(fetcher).articles(urls)


def dry_run_record(article: Article) -> dict[str, Any]:
    """One line of `byline ingest --dry-run --jsonl`: what ingest would store of the article."""
    return {
        "source": article.source,
        "title": article.title,
        "outlet": article.outlet,
        "url": article.url,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "author": article.author,
        "language": article.language or None,
        "body": article.body,
    }
