"""Routers: parse, call a service, shape the response."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from rag.answering.service import Delta, Event
from rag.api.deps import AskServiceDep, ComponentsDep
from rag.api.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePage,
    AskRequest,
    AskResponse,
    ErrorEnvelope,
    IngestOut,
    OutletList,
    OutletOut,
)
from rag.api.state import state_of
from rag.api.streaming import event_stream, sse

# What any route may answer: the guard's 401 (keys), 413 (body size) and 429 (rate limit) too.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 413, 422, 429, 500, 503)
}
router = APIRouter()


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def ask(
    body: AskRequest, request: Request, service: AskServiceDep, components: ComponentsDep
) -> AskResponse | StreamingResponse:
    query = body.to_query(components.settings.top_k)
    if body.stream:

        def render(event: Event) -> list[str]:
            if isinstance(event, Delta):
                return [sse({"text": event.text}, "delta")]
            done = AskResponse.of(event.answer, body.include_passages)
            return [sse(done.model_dump(mode="json"), "done")]

        return await event_stream(request, service.events(query, body.turns()), render)
    answer = await run_in_threadpool(service.ask, query, body.turns())
    return AskResponse.of(answer, body.include_passages)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format (this worker's counters)."""
    return PlainTextResponse(
        state_of(request.app).metrics.exposition(), media_type=CONTENT_TYPE_LATEST
    )


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=ERRORS)
def readyz(components: ComponentsDep) -> dict[str, Any]:
    return {
        "status": "ready",
        "chunks": components.store.count(),
        "model": components.embedder.model_path.name,
    }


@router.post(
    "/articles",
    response_model=IngestOut,
    responses={**ERRORS, 409: {"model": ErrorEnvelope}},
)
def add_article(body: ArticleIn, components: ComponentsDep) -> IngestOut:
    """Ingest one article (new, or a new version of one with the same URL); it is answerable
    through every API worker once this returns."""
    record = body.model_dump(mode="json", exclude_none=True)
    added = components.add_article(record)
    return IngestOut(**asdict(added))


@router.get("/articles", response_model=ArticlePage, responses=ERRORS)
def articles(
    components: ComponentsDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    outlet: str | None = Query(None, description="Only this outlet (case-insensitive)."),
) -> ArticlePage:
    page = components.catalogue.articles(limit, offset, outlet)
    items = [
        ArticleOut(
            id=r.id,
            title=r.title,
            outlet=r.outlet,
            published_at=r.published_at,
            url=r.url,
            author=r.author,
        )
        for r in page.items
    ]
    return ArticlePage(total=page.total, limit=limit, offset=offset, items=items)


@router.get("/outlets", response_model=OutletList, responses=ERRORS)
def outlets(components: ComponentsDep) -> OutletList:
    """What is ingested, per outlet: article counts and the newest article's date."""
    total, rows = components.catalogue.outlets()
    items = [OutletOut(outlet=r.outlet, articles=r.articles, newest=r.newest) for r in rows]
    return OutletList(articles=total, items=items)
