"""The body limit in front of every route (keys and budgets are per route: ``rag.api.access``).

Pure ASGI, so a body over the limit is refused from its Content-Length (or as soon as a chunked
body passes the limit) without being read whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from rag.api.errors import error_response
from rag.errors import TooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024


class BodyOverLimit(HTTPException):
    """Raised while a chunked body is read; FastAPI passes HTTP exceptions through to the
    error handlers, which answer 413 with the envelope."""

    def __init__(self) -> None:
        super().__init__(413, f"request body over {MAX_BODY_BYTES} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            too_large = error_response(TooLarge(f"request body over {MAX_BODY_BYTES} bytes"))
            await too_large(scope, receive, send)
            return
        await self._call_with_body_limit(scope, receive, send)

    async def _call_with_body_limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyOverLimit  # answered by the app's HTTP error handler
            return message

        await self.app(scope, counted_receive, send)
