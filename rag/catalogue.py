"""What is ingested, for people and pages: articles newest first (paged, one outlet or all),
outlets with their article counts and newest dates, and one article added over HTTP.

Listings are indexed queries of the catalogue that the lexical index keeps (a row per article,
written with its first chunk), never a scan of the store. Routers shape these rows into
responses; they never see the store's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rag.adapters.lexical import LexicalIndex
from rag.domain.models import ArticleHead, OutletCount
from rag.errors import IngestError

if TYPE_CHECKING:
    from ingest.pipeline import Ingestor


@dataclass(frozen=True)
class ArticlePage:
    total: int
    items: list[ArticleHead]


@dataclass(frozen=True)
class Added:
    id: str
    status: Literal["new", "updated", "unchanged"]
    chunks_embedded: int
    chunks_deleted: int


class Catalogue:
    def __init__(self, lexical: LexicalIndex) -> None:
        self._lexical = lexical

    def articles(self, limit: int, offset: int, outlet: str | None = None) -> ArticlePage:
        """Newest first; undated articles last."""
        total, items = self._lexical.article_page(limit, offset, outlet)
        return ArticlePage(total, items)

    def everything(self) -> list[ArticleHead]:
        return self._lexical.article_page(-1, 0)[1]  # SQLite: a negative limit is none

    def outlets(self) -> tuple[int, list[OutletCount]]:
        """All articles' count, and each outlet's count and newest date, most articles first."""
        counts = self._lexical.outlet_counts()
        ranked = sorted(counts, key=lambda c: (-c.articles, c.outlet.casefold()))
        return sum(c.articles for c in counts), ranked


def add_article(ingestor: Ingestor, record: dict[str, Any]) -> Added:
    """Ingest one export-shaped record; IngestError when it cannot be ingested."""
    from ingest.records import article_from_record  # ingest's modules: where one is added

    article = article_from_record(record, "POST /articles")
    summary = ingestor.ingest([article])
    if summary.rejected:
        raise IngestError(summary.errors[0])
    status: Literal["new", "updated", "unchanged"] = (
        "new" if summary.new else "updated" if summary.updated else "unchanged"
    )
    return Added(article.id, status, summary.chunks_embedded, summary.chunks_deleted)
