"""The OpenAI-compatible chat API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Clients and chat front ends that speak OpenAI's protocol get Byline's checked answer as
``choices[0].message.content`` (``[n]`` markers and a "Sources" list), the structured citations
in an extra top-level ``citations`` field (in the last chunk when streaming) and Byline's own
facts (answerer, standalone question, timings) under ``byline``. The message history makes
follow-ups work; the client's system messages are ignored (Byline's prompts are its own), and
sampling parameters are accepted and ignored. Filters come in an optional ``byline`` object.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)
from starlette.concurrency import run_in_threadpool

from rag.api.deps import AskServiceDep, ComponentsDep
from rag.api.routes import ERRORS
from rag.api.schemas import AskRequest
from rag.api.streaming import event_stream, sse
from rag.errors import InvalidRequest
from rag.followup import Turn
from rag.models import Answer, Citation
from rag.service import Delta, Event

MODEL_ID = "byline"
router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])


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
    top_k: StrictInt | None = Field(None, ge=1, le=20)
    outlets: list[str] | None = Field(None, max_length=50)
    since: str | None = None
    until: str | None = None
    as_of: str | None = None


class ChatRequest(BaseModel):
    # Front ends send temperature, top_p, user, ...: accepted, and ignored.
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    byline: BylineOptions | None = None

    @model_validator(mode="after")
    def _ends_with_a_question(self) -> ChatRequest:
        if self.messages[-1].role != "user" or not self.messages[-1].text.strip():
            raise ValueError("the last message must be the user's question")
        return self

    def ask_request(self) -> AskRequest:
        options = self.byline.model_dump(exclude_none=True) if self.byline else {}
        try:
            return AskRequest.model_validate({"question": self.messages[-1].text, **options})
        except ValidationError as exc:
            fields = "; ".join(
                f"byline.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidRequest(fields) from exc

    def history(self) -> list[Turn]:
        return [Turn(m.role, m.text) for m in self.messages[:-1] if m.role in ("user", "assistant")]


def sources_text(citations: list[Citation]) -> str:
    if not citations:
        return ""
    lines = [
        f"[{c.n}] {c.outlet} — {c.title}"
        + (f" ({c.published_at[:10]})" if c.published_at else "")
        + (f" {c.url}" if c.url else "")
        for c in citations
    ]
    return "\n\nSources:\n" + "\n".join(lines)


def byline_facts(answer: Answer) -> dict[str, Any]:
    return {
        "answerer": answer.answerer,
        "question": answer.question,
        "declined": answer.declined,
        "retrieval_ms": answer.retrieval_ms,
        "answer_ms": answer.answer_ms,
    }


@router.get("/models")
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "byline"}],
    }


@router.post("/chat/completions", response_model=None, responses=ERRORS)
async def chat_completions(
    body: ChatRequest, request: Request, service: AskServiceDep, components: ComponentsDep
) -> dict[str, Any] | StreamingResponse:
    query = body.ask_request().to_query(components.settings.top_k)
    history = body.history()
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(service.ask, query, history)
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
                        "content": answer.text + sources_text(answer.citations),
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": [asdict(c) for c in answer.citations],
            "byline": byline_facts(answer),
        }

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        return sse(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
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
        if answer.citations:
            messages.append(chunk({"content": sources_text(answer.citations)}))
        citations = [asdict(c) for c in answer.citations]
        messages.append(chunk({}, "stop", citations=citations, byline=byline_facts(answer)))
        return messages

    events = service.events(query, history, stream=True)
    return await event_stream(request, events, render, closing=[sse("[DONE]")])
