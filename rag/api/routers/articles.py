"""What is ingested: ``GET /articles``, ``GET /outlets``, and ``POST /articles`` to add one."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Query

from rag.api.access import keyed_router
from rag.api.deps import ComponentsDep
from rag.api.schemas import (
    ERRORS,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ErrorEnvelope,
    IngestOut,
    OutletList,
)

# Any offset past the end is an empty page; beyond this SQLite's integers would overflow.
MAX_OFFSET = 1_000_000_000

router = keyed_router()


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
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    outlet: str | None = Query(None, description="Only this outlet (case-insensitive)."),
) -> ArticlePage:
    page = components.catalogue.articles(limit, offset, outlet)
    items = [ArticleOut.model_validate(head, from_attributes=True) for head in page.items]
    return ArticlePage(total=page.total, limit=limit, offset=offset, items=items)


@router.get("/outlets", response_model=OutletList, responses=ERRORS)
def outlets(components: ComponentsDep) -> OutletList:
    """What is ingested, per outlet: article counts and the newest article's date."""
    return OutletList.of(components.catalogue)
