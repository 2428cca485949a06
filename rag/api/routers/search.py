"""``POST /search``: the passages Byline retrieves for a question, with no answer written: what
the LlamaIndex and LangChain retrievers (``rag.integrations``) read over HTTP."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from rag.api.access import keyed_router
from rag.api.deps import AskServiceDep, ComponentsDep
from rag.api.schemas import ERRORS, SearchRequest, SearchResponse, SearchScope

router = keyed_router()


@router.post("/search", response_model=SearchResponse, responses=ERRORS)
async def search(
    body: SearchRequest, service: AskServiceDep, components: ComponentsDep
) -> SearchResponse:
    query = body.to_query(components.settings.retrieval.top_k)
    found = await run_in_threadpool(service.search, query)
    return SearchResponse(
        question=body.question,
        searched=SearchScope.of(found.scope),
        searched_text=found.retrieved.searched,
        passages=found.retrieved.passages,
        retrieval_ms=found.ms,
    )
