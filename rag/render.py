"""One "answer + Sources" text, which the command line, the chat API and the Slack bot adapt:
the citation line ``[n] Outlet — Title (2024-10-17) url`` and a publication time's day are
written here only."""

from __future__ import annotations

from collections.abc import Callable

from rag.domain.models import Citation


def day(published_at: str | None) -> str | None:
    """The date part of an ISO publication time; None for an undated article."""
    return published_at[:10] if published_at else None


def source_line(citation: Citation, link: Callable[[str], str] = str) -> str:
    url = f" {link(citation.url)}" if citation.url else ""
    when = day(citation.published_at) or "undated"
    return f"[{citation.n}] {citation.outlet} — {citation.title} ({when}){url}"


def sources_suffix(
    citations: list[Citation], indent: str = "", link: Callable[[str], str] = str
) -> str:
    """What follows an answer's text: a blank line and the numbered sources; nothing when
    nothing is cited."""
    if not citations:
        return ""
    lines = [f"{indent}{source_line(c, link)}" for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)
