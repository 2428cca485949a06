"""Server-Sent Events from the ask service's blocking event iterator.

The first event (which includes retrieval) is taken before the response starts, so that a
store or readiness failure still gets its HTTP status; later failures become an ``error``
event. When the client disconnects, the iterator is closed, which closes the chat model's
stream and so stops generation.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.answering.service import Event
from rag.errors import BylineError

log = logging.getLogger("byline.api")


def sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


async def event_stream(
    request: Request,
    events: Iterable[Event],
    render: Callable[[Event], list[str]],
    closing: list[str] | None = None,
) -> StreamingResponse:
    iterator = iter(events)
    turn = threading.Lock()  # a generator runs in one thread at a time: next() and close() queue

    def advance() -> Event | None:
        with turn:
            return next(iterator, None)

    def close() -> None:
        with turn:
            getattr(iterator, "close", lambda: None)()

    first = await run_in_threadpool(advance)

    async def body() -> AsyncIterator[str]:
        item = first
        try:
            while item is not None:
                for message in render(item):
                    yield message
                if await request.is_disconnected():
                    log.info("client went away mid-answer; generation stopped")
                    return
                item = await run_in_threadpool(advance)
            for message in closing or []:
                yield message
        except BylineError as exc:
            yield sse(exc.envelope(), "error")
        except Exception:
            log.exception("streamed answer failed")
            yield sse(BylineError("internal server error").envelope(), "error")
        finally:
            # Shielded: after a disconnect this task is cancelled, and the model must still hear.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(close)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
