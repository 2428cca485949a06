"""Routers: parse, call a service, shape the response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from ingest.records import article_from_record
from rag.adapters.store import UNDATED
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
from rag.api.streaming import event_stream, sse
from rag.errors import IngestError

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
    return PlainTextResponse(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


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
    article = article_from_record(record, "POST /articles")
    summary = components.ingestor().ingest([article])
    if summary.rejected:
        raise IngestError(summary.errors[0])
    status = "new" if summary.new else "updated" if summary.updated else "unchanged"
    return IngestOut(
        id=article.id,
        status=status,
        chunks_embedded=summary.chunks_embedded,
        chunks_deleted=summary.chunks_deleted,
    )


@router.get("/articles", response_model=ArticlePage, responses=ERRORS)
def articles(
    components: ComponentsDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    outlet: str | None = Query(None, description="Only this outlet (case-insensitive)."),
) -> ArticlePage:
    heads = components.store.article_heads({"outlet_key": outlet.casefold()} if outlet else None)
    # Newest first; undated articles last.
    heads.sort(key=lambda m: (int(m.get("published_ts", UNDATED)), m["title"]), reverse=True)
    items = [
        ArticleOut(
            id=m["article_id"],
            title=m["title"],
            outlet=m["outlet"],
            published_at=m["published_at"] or None,
            url=m["url"],
            author=m["author"],
        )
        for m in heads[offset : offset + limit]
    ]
    return ArticlePage(total=len(heads), limit=limit, offset=offset, items=items)


@router.get("/outlets", response_model=OutletList, responses=ERRORS)
def outlets(components: ComponentsDep) -> OutletList:
    """What is ingested, per outlet: article counts and the newest article's date."""
    counts: dict[str, int] = {}
    newest: dict[str, tuple[int, str | None]] = {}
    heads = components.store.article_heads()
    for head in heads:
        outlet = head["outlet"]
        counts[outlet] = counts.get(outlet, 0) + 1
        dated = (int(head.get("published_ts", UNDATED)), head["published_at"] or None)
        if outlet not in newest or dated[0] > newest[outlet][0]:
            newest[outlet] = dated
    items = [
        OutletOut(outlet=outlet, articles=count, newest=newest[outlet][1])
        for outlet, count in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    ]
    return OutletList(articles=len(heads), items=items)
