"""Retrieval: the passages most similar to a question, within the requested outlets and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from rag.embedder import TextEmbedder
from rag.models import Passage
from rag.store import ChromaStore, Where


@dataclass(frozen=True)
class Query:
    question: str
    top_k: int
    outlets: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Retrieved:
    passages: list[Passage]
    question_vector: list[float]


def day_start(value: date | datetime) -> datetime:
    """A 'since' bound: a bare date means from its first second (UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def day_end(value: date | datetime) -> datetime:
    """An 'until' bound: a bare date means up to its last second (UTC), so that day is included."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max, tzinfo=UTC)


def build_where(query: Query) -> Where | None:
    """Chroma filter; a date bound leaves undated articles out (their age is unknown)."""
    clauses: list[Where] = []
    if query.outlets:
        clauses.append({"outlet_key": {"$in": sorted({o.casefold() for o in query.outlets})}})
    if query.since is not None:
        clauses.append({"published_ts": {"$gte": int(query.since.timestamp())}})
    if query.until is not None:
        clauses.append({"published_ts": {"$lte": int(query.until.timestamp())}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Retriever:
    def __init__(self, store: ChromaStore, embedder: TextEmbedder) -> None:
        self._store = store
        self._embedder = embedder

    def retrieve(self, query: Query) -> Retrieved:
        vector = self._embedder.embed([query.question])[0]
        passages = self._store.query(vector, query.top_k, build_where(query))
        return Retrieved(passages=passages, question_vector=vector)
