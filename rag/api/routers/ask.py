"""``POST /ask``: a question in, a cited answer out (plain, or streamed as Server-Sent Events)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.answering.service import Delta, Event
from rag.api.access import keyed_router
from rag.api.deps import AskServiceDep, ComponentsDep
from rag.api.schemas import ERRORS, AskRequest, AskResponse
from rag.api.streaming import event_stream, sse

router = keyed_router()


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def ask(
    body: AskRequest, request: Request, service: AskServiceDep, components: ComponentsDep
) -> AskResponse | StreamingResponse:
    query = body.to_query(components.settings.retrieval.top_k)
    if body.stream:

        def render(event: Event) -> list[str]:
            if isinstance(event, Delta):
                return [sse({"text": event.text}, "delta")]
            done = AskResponse.of(event.answer, body.include_passages)
            return [sse(done.model_dump(mode="json"), "done")]

        return await event_stream(request, service.events(query, body.turns()), render)
    answer = await run_in_threadpool(service.ask, query, body.turns())
    return AskResponse.of(answer, body.include_passages)
