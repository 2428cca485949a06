"""What stands in front of every route: body size, API keys, per-key rate limit.

Pure ASGI, so a body over the limit is refused from its Content-Length (or as soon as a chunked
body passes the limit) without being read whole, and a missing or wrong key never reaches a
route. Failed key attempts are limited per client address (429 once over the limit), on a budget
of their own, so that guessing keys neither goes on unchecked nor spends a valid key's budget.
Health, readiness, metrics, the OpenAPI schema and Slack's signed endpoint stay open.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from rag.api.errors import error_response
from rag.api.page import ASSETS_PATH
from rag.errors import RateLimited, TooLarge, Unauthorized

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024
# The chat page and its assets hold no data: the page sends the key with its own requests.
OPEN_PATHS = frozenset(
    {"/", "/healthz", "/readyz", "/metrics", "/slack/events", "/openapi.json", "/docs", "/redoc"}
)
OPEN_PREFIX = ASSETS_PATH + "/"


class BodyOverLimit(HTTPException):
    """Raised while a chunked body is read; FastAPI passes HTTP exceptions through to the
    error handlers, which answer 413 with the envelope."""

    def __init__(self) -> None:
        super().__init__(413, f"request body over {MAX_BODY_BYTES} bytes")


class RateLimiter:
    """At most ``per_minute`` requests per key in any sliding 60 s (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float) -> int:
        """0 when the request may go; else whole seconds until it may."""
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) < self.per_minute:
                times.append(now)
                return 0
            return max(1, math.ceil(times[0] + 60 - now))


class Guard:
    def __init__(
        self, app: ASGIApp, api_keys: list[str], per_minute: int, failures_per_minute: int = 0
    ) -> None:
        self.app = app
        self._keys = [k.encode() for k in api_keys]
        self._limiter = RateLimiter(per_minute) if per_minute > 0 else None
        self._failures = RateLimiter(failures_per_minute) if failures_per_minute > 0 else None

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
        if scope["path"] not in OPEN_PATHS and not scope["path"].startswith(OPEN_PREFIX):
            key = self._key_of(headers)
            client = scope.get("client") or ("unknown", 0)
            if self._keys and key is None:
                wait = (
                    self._failures.retry_after(client[0], time.monotonic()) if self._failures else 0
                )
                if wait:
                    await self._too_many(scope, receive, send, wait, "failed API key attempts")
                    return
                unauthorized = error_response(
                    Unauthorized("a valid API key is required"), {"WWW-Authenticate": "Bearer"}
                )
                await unauthorized(scope, receive, send)
                return
            if self._limiter is not None:
                # Per key when keys are on (a key is only ever a validated one), else per client.
                wait = self._limiter.retry_after(key or f"ip:{client[0]}", time.monotonic())
                if wait:
                    await self._too_many(scope, receive, send, wait, "requests")
                    return
        await self._call_with_body_limit(scope, receive, send)

    async def _too_many(
        self, scope: Scope, receive: Receive, send: Send, wait: int, what: str
    ) -> None:
        limited = error_response(
            RateLimited(f"too many {what} a minute from this client; retry in {wait} s"),
            {"Retry-After": str(wait)},
        )
        await limited(scope, receive, send)

    def _key_of(self, headers: dict[str, str]) -> str | None:
        """The presented key when it is one of the configured keys (compared in constant time)."""
        presented = headers.get("x-api-key") or ""
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if not self._keys:
            return None
        candidate = presented.encode()
        matched = False
        for key in self._keys:  # every key compared, so timing tells nothing
            matched |= hmac.compare_digest(candidate, key)
        return presented if matched else None

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
