"""Why a question found nothing: the filters it was asked with, read against what is ingested.

A declined answer under filters is often the filters' doing: an outlet that was never ingested
(or is spelt another way), a date range that holds no article, or one that leaves out the
undated articles (raw pages often carry no date). ``byline ask`` prints these hints, and exits 1
when the filters leave no article at all, whichever filter empties it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from rag.adapters.store import UNDATED
from rag.domain.models import ArticleHead
from rag.retrieval.retriever import Query


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def nothing_to_search(query: Query, heads: Iterable[ArticleHead]) -> bool:
    """Whether the filters leave no article at all: an empty store, only outlets never
    ingested, or dates no article falls in (an undated article passes no date range)."""
    outlets = {o.casefold() for o in query.outlets}
    since = int(query.since.timestamp()) if query.since else None
    until = int(query.until.timestamp()) if query.until else None
    as_of = int(query.as_of.timestamp()) if query.as_of else None
    for head in heads:
        if outlets and head.outlet.casefold() not in outlets:
            continue
        ts = head.published_ts
        if ts == UNDATED:
            if since is None and until is None:
                return False
            continue
        if (
            (since is None or ts >= since)
            and (until is None or ts <= until)
            and (as_of is None or ts <= as_of)
        ):
            return False
    return True


def empty_result_hints(query: Query, heads: Iterable[ArticleHead]) -> list[str]:
    """Hints, most telling first; none when the filters leave articles to search."""
    heads = list(heads)
    if not heads:
        return ["nothing is ingested yet: run `byline ingest PATH` first"]
    outlets = Counter(h.outlet for h in heads)
    hints = []
    known = {o.casefold() for o in outlets}
    missing = [o for o in query.outlets if o.casefold() not in known]
    if missing:
        ranked = sorted(outlets.items(), key=lambda item: (-item[1], item[0].casefold()))
        listed = ", ".join(f"{o} ({n})" for o, n in ranked[:12])
        more = f" and {len(outlets) - 12} more" if len(outlets) > 12 else ""
        names = ", ".join(repr(o) for o in missing)
        hints.append(f"no articles from {names} are ingested; ingested outlets: {listed}{more}")
    dated = sorted(h.published_ts for h in heads if h.published_ts != UNDATED)
    undated = len(heads) - len(dated)
    ranged = query.since is not None or query.until is not None
    if ranged and undated:
        hints.append(f"a date range (--since/--until) leaves out the {undated} undated article(s)")
    latest = int(query.until.timestamp()) if query.until else None
    if query.as_of is not None:
        as_of = int(query.as_of.timestamp())
        latest = as_of if latest is None else min(latest, as_of)
    earliest = int(query.since.timestamp()) if query.since else None
    inside = [
        ts
        for ts in dated
        if (earliest is None or ts >= earliest) and (latest is None or ts <= latest)
    ]
    if dated and not inside and (ranged or query.as_of is not None):
        hints.append(
            f"no dated article falls in the dates asked for; the ingested ones run from"
            f" {_day(dated[0])} to {_day(dated[-1])}"
        )
    return hints
