"""Scraped article text (a page copied as text) into an Article: headline, outlet, date, clean body.

The page's header (lines above the first paragraph of prose) holds the headline, often repeated,
and the outlet, section and date lines; the chrome table in ``ingest.chrome`` names the rest.
An optional YAML front matter block at the top overrides any field it sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

from ingest import chrome
from ingest.dates import parse_date
from rag.domain.models import Article
from rag.domain.outlets import outlet_named, outlet_of_url
from rag.domain.text import ends_sentence, normalize_text
from rag.errors import IngestError

UNKNOWN_OUTLET = "Unknown outlet"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_BYLINE = re.compile(r"^by\s+(?P<author>[A-Z][\w.'-]*(?:\s+(?:and\s+)?[A-Z][\w.'-]*){0,6})$", re.I)
FRONT_MATTER_FIELDS = {
    "title": "title",
    "outlet": "outlet",
    "source": "outlet",
    "url": "url",
    "author": "author",
    "published_at": "published_at",
    "date": "published_at",
}


@dataclass
class _Page:
    title: str = ""
    outlet: str = ""
    author: str = ""
    published_at: datetime | None = None
    body: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)


def parse_raw_article(text: str, source: str) -> Article:
    """Raise IngestError when no headline or no body can be found."""
    overrides, text = split_front_matter(normalize_text(text), source)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    page = _read_page(lines)
    url = str(overrides.get("url") or "")
    outlet = (
        overrides.get("outlet")
        or page.outlet
        or _first_known(page.cues)
        or (outlet_of_url(url) if url else None)
        or UNKNOWN_OUTLET
    )
    title = str(overrides.get("title") or page.title)
    body = "\n".join(page.body).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    if not title:
        raise IngestError(f"{source}: no headline found")
    if not body:
        raise IngestError(f"{source}: no article body found")
    published = overrides.get("published_at", page.published_at)
    return Article(
        title=title,
        body=body,
        outlet=str(outlet),
        url=url,
        author=str(overrides.get("author") or page.author),
        published_at=published,
        source=source,
        whole_file=True,
    )


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """The fields a leading YAML block sets (unknown keys ignored) and the text after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group("yaml")) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        raise IngestError(f"{source}:{line}: malformed YAML front matter") from exc
    if not isinstance(data, dict):
        raise IngestError(f"{source}:1: front matter must be a mapping of fields")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = FRONT_MATTER_FIELDS.get(str(key).lower())
        if name is None or value is None:
            continue
        fields[name] = _front_matter_date(value, source) if name == "published_at" else str(value)
    return fields, text[match.end() :]


def _front_matter_date(value: object, source: str) -> datetime:
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        parsed = parse_date(str(value))
    if parsed is None:
        raise IngestError(f"{source}: front matter date {value!r} is not a date")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # as in ingest.dates


def _read_page(lines: list[str]) -> _Page:
    page = _Page()
    first_prose = next((i for i, line in enumerate(lines) if _is_prose(line)), len(lines))
    in_footer = False
    for i, line in enumerate(lines):
        heading = line.lstrip("#").strip()
        in_footer = in_footer or (i > first_prose and chrome.starts_footer(line))
        if chrome.is_chrome(line) or in_footer:
            # Chrome and footer lines are dropped, but may still name the outlet (a copyright line).
            if chrome.is_chrome(line) and (cue := chrome.outlet_cue(line)):
                page.cues.append(cue)
            continue
        if page.title and heading.casefold() == page.title.casefold():
            continue  # the headline printed twice
        if i < first_prose and heading and _read_header_line(page, heading):
            continue
        page.body.append(heading)
    return page


def _read_header_line(page: _Page, line: str) -> bool:
    """Take a header line into the page's fields; False when it belongs to the body."""
    if page.published_at is None and (parsed := parse_date(line)):
        page.published_at = parsed
    elif not page.outlet and (named := outlet_named(line)):
        page.outlet = named
    elif chrome.is_section_word(line):
        pass
    elif not page.title:
        page.title = line
    elif not page.outlet and len(line.split()) <= 6 and chrome.OUTLET_NAME_SHAPE.match(line):
        page.outlet = line
    elif not page.author and (byline := _BYLINE.match(line)):
        page.author = byline.group("author")
    else:
        return False
    return True


def _is_prose(line: str) -> bool:
    return len(line.split()) >= 8 and ends_sentence(line)


def _first_known(cues: list[str]) -> str | None:
    """A cue named by the outlet table wins (it gives the full name); else the first cue."""
    for cue in cues:
        if named := outlet_named(cue):
            return named
    return cues[0] if cues else None
