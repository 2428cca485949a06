"""One "answer + Sources" text, which the command line, the chat API and the Slack bot adapt:
the source line ``[1][3] Outlet — Title (2024-10-17) url`` and a publication time's day are
written here only. One article is one source, however many of its passages are cited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.domain.models import Citation, Passage


def day(published_at: str | None) -> str | None:
    """The date part of an ISO publication time; None for an undated article."""
    return published_at[:10] if published_at else None


@dataclass(frozen=True)
class Source:
    """One cited article and the numbers of its cited passages, in the order first cited."""

    numbers: tuple[int, ...]
    article: Citation  # its first citation: outlet, title, date, link

    @property
    def label(self) -> str:
        return "".join(f"[{n}]" for n in self.numbers)


def sources(citations: list[Citation]) -> list[Source]:
    by_article: dict[str, list[Citation]] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        by_article.setdefault(citation.article_id or citation.url, []).append(citation)
    return [Source(tuple(c.n for c in group), group[0]) for group in by_article.values()]


def source_line(source: Source, link: Callable[[str], str] = str, indent: str = "") -> str:
    """The source's line, and when its article is one copy of a wire story, a second line
    naming who reported it first and who else carries it."""
    article = source.article
    url = f" {link(article.url)}" if article.url else ""
    story = f"\n{indent}    {article.story_note.text}" if article.story_note else ""
    return f"{indent}{source.label} {article_line(article)}{url}{story}"


def article_line(article: Citation | Passage) -> str:
    """``Outlet — Title (2024-10-17)``: a source, or a passage offered as a search result."""
    return f"{article.outlet} — {article.title} ({day(article.published_at) or 'undated'})"


def sources_suffix(
    citations: list[Citation], indent: str = "", link: Callable[[str], str] = str
) -> str:
    """What follows an answer's text: a blank line and the numbered sources; nothing when
    nothing is cited."""
    if not citations:
        return ""
    lines = [source_line(source, link, indent) for source in sources(citations)]
    return "\n\nSources:\n" + "\n".join(lines)
