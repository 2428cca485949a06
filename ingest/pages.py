"""Web pages into Articles: the article body and its metadata by trafilatura, the date by
htmldate (which trafilatura runs: the page's meta tags, structured data, URL and time elements;
not its extensive search of the text, which takes a footer's "Copyright 2024" for 2024-01-01),
else the date its feed entry or archive record gives, the language by py3langid.

The field measures article extraction (the ScrapingHub benchmark, ``byline eval extraction``);
hand-written rules would be worse than these libraries, so there are none here. Text pages
scraped by other tools keep their own reader (``ingest.raw_text``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from ingest.dates import parse_date
from ingest.decoding import repair_mojibake
from rag.domain.models import Article
from rag.domain.outlets import outlet_named, outlet_of_url
from rag.domain.text import normalize_text
from rag.errors import IngestError


@dataclass(frozen=True)
class Extraction:
    """trafilatura's mode (reader comments are never the article), and Byline's one rule: the
    precision mode's body is kept unless it is under ``fallback_share`` of the balanced mode's,
    when precision threw the article away with the furniture (0: no second reading)."""

    mode: Literal["balanced", "precision", "recall"] = "balanced"
    fallback_share: float = 0.0


# Chosen on the choosing half of the extraction benchmark's pages (`byline eval extraction
# --choose`; F1 there: balanced 0.957, recall 0.961, precision 0.956, precision with the
# fallback at 0.25 0.969, 0.5 0.963, 0.75 0.960).
EXTRACTION = Extraction(mode="precision", fallback_share=0.25)
# The time of day too where the page gives one: copies of a story are ordered by it.
DATE_SEARCH = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
HTML_TYPES = ("text/html", "application/xhtml+xml")  # the media types of a page
# Below this many characters a page holds a teaser or an index, not an article.
MIN_BODY_CHARS = 80
TITLE_FALLBACK_CHARS = 120

# trafilatura and htmldate log every page they find hard at WARNING; Byline reports once per page.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class Hints:
    """What is known of a page from where it was found: the URL it was fetched from, and a
    feed entry's or archive record's date and title (used where the page names none)."""

    url: str = ""
    published_at: datetime | None = None
    title: str = ""


def read_page(
    html: str | bytes,
    source: str,
    hints: Hints | None = None,
    extraction: Extraction = EXTRACTION,
) -> Article:
    """The page's article; IngestError (one line) when it holds none."""
    hints = hints or Hints()
    if not html.strip():
        raise IngestError(f"{source}: empty page")
    document = _extract(html, source, hints.url, extraction.mode)
    body = _paragraphs(getattr(document, "text", None) or "")
    if extraction.fallback_share > 0:
        balanced = _extract(html, source, hints.url, "balanced")
        balanced_body = _paragraphs(getattr(balanced, "text", None) or "")
        if len(body) < extraction.fallback_share * len(balanced_body):
            document, body = balanced, balanced_body
    if len(body) < MIN_BODY_CHARS:
        raise IngestError(f"{source}: no article found in the page")
    url = _canonical(getattr(document, "url", None), hints.url)
    title = _clean(getattr(document, "title", None)) or hints.title or _headline_of(body)
    body = _without_headline(body, title)
    return Article(
        title=title,
        body=body,
        outlet=_outlet(_clean(getattr(document, "sitename", None)), url),
        url=url,
        author=_clean(getattr(document, "author", None)),
        published_at=_published(getattr(document, "date", None)) or hints.published_at,
        source=source,
        language=language_of(body),
    )


def _extract(html: str | bytes, source: str, url: str, mode: str) -> Any:
    """trafilatura's Document of the page (None: it found no text)."""
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            favor_precision=mode == "precision",
            favor_recall=mode == "recall",
            date_extraction_params=DATE_SEARCH,
        )
    except (ValueError, TypeError, LookupError) as exc:  # bytes no parser could read
        raise IngestError(f"{source}: not a readable HTML page ({exc})") from None


def language_of(text: str) -> str:
    """The ISO 639-1 code of the text's language (py3langid's model ships in its wheel)."""
    import py3langid

    code, _ = py3langid.classify(text[:4000])
    return str(code)


def _paragraphs(text: str) -> str:
    """trafilatura puts one newline between paragraphs; Byline's text has a blank line."""
    lines = (normalize_text(repair_mojibake(line)).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def _without_headline(body: str, title: str) -> str:
    """The body without a first paragraph that only repeats the headline (the page's <h1>)."""
    first, _, rest = body.partition("\n\n")
    same = " ".join(first.split()).casefold() == " ".join(title.split()).casefold()
    return rest if same and rest else body


def _clean(value: object) -> str:
    return " ".join(repair_mojibake(value).split()) if isinstance(value, str) else ""


def _headline_of(body: str) -> str:
    first = body.split("\n", 1)[0]
    return first if len(first) <= TITLE_FALLBACK_CHARS else first[:TITLE_FALLBACK_CHARS] + "…"


def _canonical(found: str | None, fetched: str) -> str:
    """The page's own canonical URL when it is an absolute web address, else where it was got."""
    if found and urlsplit(found).scheme in ("http", "https") and urlsplit(found).netloc:
        return found
    return fetched


def _outlet(site_name: str, url: str) -> str:
    """The site's name (its canonical form where Byline knows the outlet), else the domain
    (trafilatura names a site without a name by its host, port and all)."""
    netloc = urlsplit(url).netloc.lower()
    if site_name and site_name.lower() != netloc:
        return outlet_named(site_name) or site_name
    host = netloc.split(":")[0].removeprefix("www.")
    return (outlet_of_url(url) if url else None) or host or "Unknown outlet"


def _published(found: str | None) -> datetime | None:
    parsed = parse_date(found) if found else None
    return parsed.astimezone(UTC) if parsed else None
