"""What is ingested, for people and pages: articles newest first (paged, one outlet or all),
outlets with their article counts and newest dates, and one article added over HTTP.

Routers call this and shape its rows into responses; they never see the store's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ingest.pipeline import Ingestor
from ingest.records import article_from_record
from rag.adapters.store import UNDATED, ChromaStore
from rag.errors import IngestError


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    outlet: str
    published_at: str | None
    url: str
    author: str
    published_ts: int  # UNDATED (-1) when the article has no date

    @classmethod
    def of(cls, head: dict[str, Any]) -> ArticleRow:
        return cls(
            id=head["article_id"],
            title=head["title"],
            outlet=head["outlet"],
            published_at=head["published_at"] or None,
            url=head["url"],
            author=head["author"],
            published_ts=int(head.get("published_ts", UNDATED)),
        )


@dataclass(frozen=True)
class ArticlePage:
    total: int
    items: list[ArticleRow]


@dataclass(frozen=True)
class OutletRow:
    outlet: str
    articles: int
    newest: str | None  # the newest article's publication time; None when all are undated


@dataclass(frozen=True)
class Added:
    id: str
    status: Literal["new", "updated", "unchanged"]
    chunks_embedded: int
    chunks_deleted: int


class Catalogue:
    def __init__(self, store: ChromaStore) -> None:
        self._store = store

    def _rows(self, outlet: str | None = None) -> list[ArticleRow]:
        where = {"outlet_key": outlet.casefold()} if outlet else None
        return [ArticleRow.of(head) for head in self._store.article_heads(where)]

    def articles(self, limit: int, offset: int, outlet: str | None = None) -> ArticlePage:
        """Newest first; undated articles last."""
        rows = sorted(self._rows(outlet), key=lambda r: (r.published_ts, r.title), reverse=True)
        return ArticlePage(total=len(rows), items=rows[offset : offset + limit])

    def outlets(self) -> tuple[int, list[OutletRow]]:
        """All articles' count, and each outlet's count and newest date, most articles first."""
        counts: dict[str, int] = {}
        newest: dict[str, tuple[int, str | None]] = {}
        rows = self._rows()
        for row in rows:
            counts[row.outlet] = counts.get(row.outlet, 0) + 1
            if row.outlet not in newest or row.published_ts > newest[row.outlet][0]:
                newest[row.outlet] = (row.published_ts, row.published_at)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
        return len(rows), [OutletRow(o, n, newest[o][1]) for o, n in ranked]


def add_article(ingestor: Ingestor, record: dict[str, Any]) -> Added:
    """Ingest one export-shaped record; IngestError when it cannot be ingested."""
    article = article_from_record(record, "POST /articles")
    summary = ingestor.ingest([article])
    if summary.rejected:
        raise IngestError(summary.errors[0])
    status: Literal["new", "updated", "unchanged"] = (
        "new" if summary.new else "updated" if summary.updated else "unchanged"
    )
    return Added(article.id, status, summary.chunks_embedded, summary.chunks_deleted)
