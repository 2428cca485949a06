"""URLs into Articles: a page is read as it is; an RSS/Atom feed (feedparser) or a sitemap, news
sitemap or sitemap index lists the pages to fetch, its dates and titles the pages' fallbacks.

Anything else (a PDF, an image, JSON) is refused by its media type, one line each.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from ingest.dates import parse_date
from ingest.fetch import Fetched, Fetcher, FetchFailure, Outcome
from ingest.pages import HTML_TYPES, Hints, read_page
from ingest.records import Parsed
from rag.domain.models import Article
from rag.errors import IngestError

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/x-rss+xml",
)
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# A sitemap index is followed this deep (index → sitemaps → pages), never further.
MAX_SITEMAP_DEPTH = 2


@dataclass(frozen=True)
class Listed:
    """A link a feed or a sitemap lists, with what the listing says of it."""

    url: str
    title: str = ""
    published_at: datetime | None = None
    updated: str = ""  # the listing's own stamp of its last change ("" when it gives none)


class NotAListing(ValueError):
    pass


def is_page(fetched: Fetched) -> bool:
    if fetched.content_type in HTML_TYPES:
        return True
    # A server that names no type: a page is a page by its first tag.
    head = fetched.content[:512].lstrip().lower()
    return not fetched.content_type and head.startswith((b"<!doctype html", b"<html"))


def listing(fetched: Fetched) -> tuple[list[Listed], list[str]]:
    """The links a feed or sitemap lists, and the sitemaps a sitemap index lists; NotAListing
    when the response is neither."""
    if fetched.content_type and fetched.content_type not in FEED_TYPES:
        raise NotAListing(f"not a page, a feed or a sitemap ({fetched.content_type}); refused")
    try:
        root = etree.fromstring(fetched.content, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise NotAListing(f"not a page, a feed or a sitemap: XML unreadable ({exc})") from None
    if root.tag == f"{SITEMAP_NS}urlset":
        return _sitemap_urls(root), []
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        return [], [loc.strip() for loc in root.itertext() if loc.strip().startswith("http")]
    return _feed_entries(fetched.content), []


def _sitemap_urls(root: etree._Element) -> list[Listed]:
    found = []
    for entry in root.iter(f"{SITEMAP_NS}url"):
        url = (entry.findtext(f"{SITEMAP_NS}loc") or "").strip()
        if not url:
            continue
        modified = (entry.findtext(f"{SITEMAP_NS}lastmod") or "").strip()
        news_date = (entry.findtext(f".//{NEWS_NS}publication_date") or "").strip()
        title = " ".join((entry.findtext(f".//{NEWS_NS}title") or "").split())
        published = parse_date(news_date) if news_date else None
        found.append(Listed(url, title, published, updated=modified or news_date))
    return found


def _feed_entries(content: bytes) -> list[Listed]:
    import feedparser

    parsed = feedparser.parse(content)
    if not parsed.entries and parsed.get("bozo") and not parsed.get("version"):
        raise NotAListing("not a page, and not a feed or sitemap")
    found = []
    for entry in parsed.entries:
        url = str(entry.get("link", "")).strip()
        if not url:
            continue
        # dict.get: feedparser's own get maps a missing "updated" to "published" with a warning.
        published = _utc(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
        updated = str(dict.get(entry, "updated") or dict.get(entry, "published") or "")
        found.append(Listed(url, " ".join(str(entry.get("title", "")).split()), published, updated))
    return found


def _utc(moment: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else None


def page_article(fetched: Fetched, listed: Listed | None) -> Parsed:
    # The URL the redirects ended at is the page's address when it names no canonical one; the
    # listing's date and title stand in where the page gives none.
    hints = Hints(
        url=fetched.url,
        published_at=listed.published_at if listed else None,
        title=listed.title if listed else "",
    )
    try:
        return read_page(fetched.content, fetched.url, hints)
    except IngestError as exc:
        return exc


def failure(outcome: FetchFailure) -> IngestError:
    if outcome.message.startswith(outcome.url):  # a page's own line names it already
        return IngestError(outcome.message)
    return IngestError(outcome.line())


class WebSource:
    """`byline ingest URL...`: each URL's page, or the pages its feed or sitemap lists."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher

    def articles(self, urls: Iterable[str]) -> Iterator[Parsed]:
        for url, outcome in self._fetcher.get_many(urls):
            yield from self._read(url, outcome, depth=0)

    def listed_articles(
        self, listed: list[Listed]
    ) -> Iterator[tuple[Listed, Article | FetchFailure]]:
        """The listed pages fetched, ``max_in_flight`` at a time: (the link, its article or why
        not, with a reason a counter can carry)."""
        by_url = {item.url: item for item in listed}
        for url, outcome in self._fetcher.get_many(by_url):
            item = by_url[url]
            if isinstance(outcome, FetchFailure):
                yield item, outcome
            elif not is_page(outcome):
                kind = outcome.content_type or "no type"
                yield item, FetchFailure(url, "not_html", f"not HTML ({kind}); refused")
            else:
                article = page_article(outcome, item)
                if isinstance(article, IngestError):
                    yield item, FetchFailure(url, "no_article", article.message)
                else:
                    yield item, article

    def _read(self, url: str, outcome: Outcome, depth: int) -> Iterator[Parsed]:
        if isinstance(outcome, FetchFailure):
            yield failure(outcome)
            return
        if is_page(outcome):
            yield page_article(outcome, None)
            return
        try:
            links, sitemaps = listing(outcome)
        except NotAListing as exc:
            yield IngestError(f"{url}: {exc}")
            return
        for _, article in self.listed_articles(links):
            yield failure(article) if isinstance(article, FetchFailure) else article
        if depth < MAX_SITEMAP_DEPTH:
            for child, child_outcome in self._fetcher.get_many(sitemaps):
                yield from self._read(child, child_outcome, depth + 1)
