"""What an answer says of a wire story its cited article is one copy of: who reported it first
(the earliest dated copy; an undated copy never is) and which other outlets carry it.

Copies are grouped at ingest (``ingest.stories``); this reads a group's members as the catalogue
lists them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.domain.models import ArticleHead, StoryNote

SHOWN_OUTLETS = 4  # named in the line; the rest are counted


def story_note(article_id: str, outlet: str, members: Sequence[ArticleHead]) -> StoryNote | None:
    """The note for the cited copy ``article_id`` of a story of these members (None: no copy)."""
    others = [m for m in members if m.id != article_id]
    if not others:
        return None
    dated = [m for m in members if m.published_at and m.published_ts >= 0]
    origin = min(dated, key=lambda m: (m.published_ts, m.outlet)) if dated else None
    outlets = tuple(dict.fromkeys(m.outlet for m in others if m.outlet != outlet))
    origin_outlet = origin.outlet if origin else None
    origin_at = origin.published_at if origin else None
    first_here = origin is not None and origin.id == article_id
    return StoryNote(
        copies=len(others),
        outlets=outlets,
        origin_outlet=origin_outlet,
        origin_published_at=origin_at,
        origin_is_cited=first_here,
        text=_line(outlets, origin_outlet, origin_at, first_here),
    )


def _line(
    outlets: tuple[str, ...], origin: str | None, origin_at: str | None, first_here: bool
) -> str:
    named = list(outlets[:SHOWN_OUTLETS])
    more = len(outlets) - len(named)
    carried = _listed(named + ([f"{more} more"] if more else []))
    if origin is None:
        return f"Also carried by {carried}." if carried else ""
    day = (origin_at or "")[:10]
    first = f"Reported first here ({day})" if first_here else f"Reported first by {origin} ({day})"
    return f"{first}; also carried by {carried}." if carried else f"{first}."


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
