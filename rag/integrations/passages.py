"""Where a framework's retriever gets Byline's passages: this process's services (a data dir, or
the Chroma server the settings name) or a running Byline over HTTP (``POST /search``). Either
way the question is read as ``/ask`` reads it: outlet and time words, filters, as-of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from rag.answering.service import AskService
from rag.domain.models import Passage
from rag.errors import BylineError
from rag.retrieval.retriever import Query
from rag.settings import Settings
from rag.wiring import Components

When = date | datetime | str | None


@dataclass(frozen=True)
class Filters:
    """Byline's filters: a bare date means its whole day (``since`` from its start, ``until``
    and ``as_of`` to its end)."""

    top_k: int | None = None  # None: the server's (or settings') BYLINE_TOP_K
    outlets: tuple[str, ...] = ()
    since: date | datetime | None = None
    until: date | datetime | None = None
    as_of: date | datetime | None = None

    @classmethod
    def of(
        cls,
        top_k: int | None = None,
        outlets: Sequence[str] = (),
        since: When = None,
        until: When = None,
        as_of: When = None,
    ) -> Filters:
        """Dates and times as objects or ISO text ("2024-10-17", "2024-10-17T12:00:00+00:00")."""
        return cls(top_k, tuple(outlets), _when(since), _when(until), _when(as_of))


class PassageSource(Protocol):
    def search(self, question: str, filters: Filters) -> list[Passage]: ...


@dataclass
class InProcess:
    """Byline's services in this process."""

    service: AskService
    default_top_k: int

    @classmethod
    def load(cls, settings: Settings | None = None, data_dir: Path | None = None) -> InProcess:
        settings = settings or Settings()
        if data_dir is not None:
            settings = settings.updated(data_dir=data_dir)
        components = Components.load(settings)
        return cls(components.ask_service(), settings.retrieval.top_k)

    def search(self, question: str, filters: Filters) -> list[Passage]:
        query = Query.bounded(
            question,
            filters.top_k or self.default_top_k,
            filters.outlets,
            filters.since,
            filters.until,
            filters.as_of,
        )
        return self.service.search(query).retrieved.passages


@dataclass
class OverHttp:
    """A running Byline, through ``POST /search`` (its key, if it asks for one)."""

    url: str
    api_key: str | None = None
    timeout_s: float = 30.0

    def search(self, question: str, filters: Filters) -> list[Passage]:
        body: dict[str, Any] = {"question": question}
        if filters.top_k:
            body["top_k"] = filters.top_k
        if filters.outlets:
            body["outlets"] = list(filters.outlets)
        for name in ("since", "until", "as_of"):
            value = getattr(filters, name)
            if value is not None:
                body[name] = value.isoformat()
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            # A client per call: a retriever has no close() a framework would call.
            with httpx.Client(timeout=self.timeout_s, headers=headers) as client:
                response = client.post(f"{self.url.rstrip('/')}/search", json=body)
        except httpx.HTTPError as exc:
            raise BylineError(f"Byline at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise BylineError(f"Byline at {self.url}: {_error(response)}")
        return [Passage(**p) for p in response.json()["passages"]]


def source(
    url: str | None = None,
    api_key: str | None = None,
    data_dir: Path | str | None = None,
    settings: Settings | None = None,
    timeout_s: float = 30.0,
) -> PassageSource:
    """Over HTTP when ``url`` is given, else in process (``data_dir``, or the settings')."""
    if url is not None:
        return OverHttp(url, api_key, timeout_s)
    return InProcess.load(settings, Path(data_dir) if data_dir is not None else None)


def metadata(passage: Passage) -> dict[str, Any]:
    """What a framework's node or document carries of a passage: enough to cite it."""
    return {
        "outlet": passage.outlet,
        "title": passage.title,
        "url": passage.url,
        "published_at": passage.published_at,
        "article_id": passage.article_id,
        "chunk_id": passage.chunk_id,
        "rank": passage.rank,
    }


def _when(value: When) -> date | datetime | None:
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError as exc:
        raise BylineError(f"not a date or time: {value!r} (YYYY-MM-DD, or ISO 8601)") from exc


def _error(response: httpx.Response) -> str:
    try:
        envelope = response.json()["error"]
        return f"{response.status_code} {envelope['code']}: {envelope['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"
