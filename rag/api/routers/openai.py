"""The OpenAI-compatible chat API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Clients and chat front ends that speak OpenAI's protocol get Byline's checked answer as
``choices[0].message.content`` (``[n]`` markers and a "Sources" list), the structured citations
in an extra top-level ``citations`` field (in the last chunk when streaming) and Byline's own
facts (answerer, standalone question, timings) under ``byline``. The citations also come in
OpenAI's own shape, ``message.annotations`` with one ``url_citation`` per ``[n]`` marker (its
``start_index``/``end_index`` span the marker in the content), which clients that drop unknown
fields keep. ``usage`` counts word pieces of Byline's own tokenizer; ``stream_options:
{include_usage: true}`` adds the usage chunk to a stream. The message history makes follow-ups
work; the client's system messages are ignored (Byline's prompts are its own), and sampling
parameters are accepted and ignored. What Byline cannot honour (``n`` > 1, tools, a
``tool_choice`` that requires a call, a ``response_format`` other than text) is refused with 400.
Filters come in an optional ``byline`` object.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)
from starlette.concurrency import run_in_threadpool

from rag.answering.citations import MARKER, numbers_of
from rag.answering.followup import Turn
from rag.answering.service import Delta, Event
from rag.api.access import keyed_router
from rag.api.deps import AskServiceDep, ComponentsDep
from rag.api.schemas import (
    ERRORS,
    AskRequest,
    AskResponse,
    DateOrTime,
    ErrorEnvelope,
    OnlyOne,
    TopK,
)
from rag.api.streaming import event_stream, sse
from rag.domain.models import Answer, Citation
from rag.errors import InvalidRequest, NotFound
from rag.render import sources_suffix

MODEL_ID = "byline"
router = keyed_router(prefix="/v1", tags=["OpenAI-compatible"])


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class BylineOptions(BaseModel):
    """The /ask filters, for the chat endpoint."""

    model_config = ConfigDict(extra="forbid")
    top_k: TopK | None = None
    outlets: list[str] | None = Field(None, max_length=50)
    since: DateOrTime | None = None
    until: DateOrTime | None = None
    as_of: DateOrTime | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool = False


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text"]


QUESTION_FIELD = "messages[-1].content"
# Chat parameters Byline cannot honour: the schema allows only what Byline does, and a client
# asking for more gets 400 unsupported_parameter saying why (rag.api.app), not silence.
UNSUPPORTED = {
    "n": "n > 1 is not supported: Byline gives one checked answer per question",
    "tools": "tools are not supported: Byline answers from its articles and calls no functions",
    "tool_choice": "a tool_choice that requires a call is not supported: Byline calls no tools",
    "response_format": "only the text response_format is supported: answers are cited prose",
}


class ChatRequest(BaseModel):
    # Front ends send temperature, top_p, user, ...: accepted, and ignored.
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    # Only what Byline honours; anything else is answered 400 unsupported_parameter.
    n: OnlyOne | None = Field(None, description="1: one answer per question.")
    tools: list[dict[str, Any]] | None = Field(None, max_length=0, description="None: no tools.")
    tool_choice: Literal["none", "auto"] | None = None
    response_format: ResponseFormat | None = None
    byline: BylineOptions | None = None

    def ask_request(self) -> AskRequest:
        """The /ask request of the last (user) message; errors name the client's fields."""
        last = self.messages[-1]
        if last.role != "user":
            raise InvalidRequest(
                "messages[-1]: the last message must be the user's question", "messages[-1]"
            )
        options = self.byline.model_dump(exclude_none=True) if self.byline else {}
        try:
            return AskRequest.model_validate({"question": last.text, **options})
        except ValidationError as exc:
            named = [
                (_client_field(e["loc"]), e["msg"].removeprefix("Value error, "))
                for e in exc.errors()
            ]
            message = "; ".join(f"{field}: {msg}" for field, msg in named)
            raise InvalidRequest(message, named[0][0]) from exc

    def history(self) -> list[Turn]:
        return [Turn(m.role, m.text) for m in self.messages[:-1] if m.role in ("user", "assistant")]


def _client_field(loc: tuple[int | str, ...]) -> str:
    if not loc or loc[0] == "question":
        return QUESTION_FIELD
    return "byline." + ".".join(str(p) for p in loc)


def url_citations(text: str, citations: list[Citation]) -> list[dict[str, Any]]:
    """OpenAI's ``url_citation`` annotations: one per ``[n]`` in ``text``, spanning it."""
    by_number = {c.n: c for c in citations}
    found = []
    for match in MARKER.finditer(text):
        citation = by_number.get(numbers_of(match)[0])
        if citation is None:
            continue
        found.append(
            {
                "type": "url_citation",
                "url_citation": {
                    "start_index": match.start(),
                    "end_index": match.end(),
                    "url": citation.url,
                    "title": f"{citation.outlet}: {citation.title}",
                },
            }
        )
    return found


# What /ask says of an answer besides its text and citations: one definition, so that the chat
# endpoint's ``byline`` object cannot fall behind (it once lacked the confidence).
FACTS = {
    "answerer",
    "question",
    "declined",
    "confidence",
    "short_answer",
    "support",
    "unsure",
    "searched",
    "nearest",
    "retrieval_ms",
    "answer_ms",
}


def byline_facts(answer: Answer) -> dict[str, Any]:
    facts: dict[str, Any] = AskResponse.of(answer).model_dump(mode="json", include=FACTS)
    return facts


def _model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "byline"}


@router.get("/models")
def models() -> dict[str, Any]:
    return {"object": "list", "data": [_model_card()]}


@router.get("/models/{model_id}", responses={404: {"model": ErrorEnvelope}})
def model(model_id: str) -> dict[str, Any]:
    """The one model Byline serves; any name is answered by it in chat completions."""
    if model_id != MODEL_ID:
        raise NotFound(f"no model {model_id!r}: Byline serves {MODEL_ID!r}", "model")
    return _model_card()


def usage(body: ChatRequest, content: str, count: Callable[[str], int]) -> dict[str, int]:
    """Token counts in Byline's own tokenizer's word pieces."""
    prompt = sum(count(m.text) for m in body.messages)
    completion = count(content)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@router.post("/chat/completions", response_model=None, responses=ERRORS)
async def chat_completions(
    body: ChatRequest, request: Request, service: AskServiceDep, components: ComponentsDep
) -> dict[str, Any] | StreamingResponse:
    query = body.ask_request().to_query(components.settings.retrieval.top_k)
    history = body.history()
    count = components.embedder.count_pieces
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(service.ask, query, history)
        content = answer.text + sources_suffix(answer.citations)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "annotations": url_citations(answer.text, answer.citations),
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": await run_in_threadpool(usage, body, content, count),
            "citations": [asdict(c) for c in answer.citations],
            "byline": byline_facts(answer),
        }
    with_usage = body.stream_options is not None and body.stream_options.include_usage

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
        return sse(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": extra.pop("choices", choices),
                **({"usage": None} if with_usage else {}),
                **extra,
            }
        )

    opened = [False]

    def render(event: Event) -> list[str]:
        messages = [] if opened[0] else [chunk({"role": "assistant", "content": ""})]
        opened[0] = True
        if isinstance(event, Delta):
            return [*messages, chunk({"content": event.text})]
        answer = event.answer
        content = answer.text + sources_suffix(answer.citations)
        if answer.citations:
            messages.append(chunk({"content": sources_suffix(answer.citations)}))
        last = {"annotations": url_citations(answer.text, answer.citations)}
        citations = [asdict(c) for c in answer.citations]
        messages.append(chunk(last, "stop", citations=citations, byline=byline_facts(answer)))
        if with_usage:
            messages.append(chunk({}, choices=[], usage=usage(body, content, count)))
        return messages

    events = service.events(query, history, stream=True)
    return await event_stream(request, events, render, closing=[sse("[DONE]")])
