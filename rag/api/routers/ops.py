"""Operations: liveness, readiness and Prometheus metrics. Open: monitors carry no API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from rag.api.deps import ComponentsDep
from rag.api.schemas import ERRORS
from rag.api.state import state_of

router = APIRouter()


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
    stored = components.store.embedding()
    return {
        "status": "ready",
        "chunks": components.store.count(),
        "model": components.embedder.identity.model,
        "query_encoder": components.embedder.runtime,
        "precision": components.embedder.precision,
        "store_embedding": {"model": stored.model, "precision": stored.precision}
        if stored
        else None,
        # A store of an earlier release answers without what the newer layout adds.
        "upgrade": components.upgrade_note(),
    }
