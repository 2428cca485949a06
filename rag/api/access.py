"""Who may call a route, stated per route: routers built by ``keyed_router()`` need an API key
(when ``BYLINE_API_KEYS`` is set) and spend per-minute budgets, so a new route is keyed by the
router it joins, never open by being left off a list. Open routes (health, readiness, metrics,
the page, Slack's signed route, the schema) are on plain routers.

Keys come as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` and are compared in constant
time. Failed attempts are limited per client address on a budget of their own, so that guessing
keys neither goes on unchecked nor spends a valid key's budget.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request

from rag.api.state import state_of
from rag.errors import RateLimited, Unauthorized

WINDOW_S = 60.0
MAX_CLIENTS = 10_000  # keys or addresses tracked at once: ~2 MB at the default budgets


class RateLimiter:
    """At most ``per_minute`` requests per key in any sliding 60 s (per process).

    The table is bounded: a key with no request in the last minute is forgotten, and beyond
    ``max_clients`` live keys the least recently seen one is, so a client rotating addresses
    cannot grow the server's memory (under such a flood, a forgotten key's next request simply
    starts a new minute)."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        # Least recently seen first: the stale keys are always at the front.
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def tracked(self) -> int:
        """Keys remembered now (not ``__len__``: an empty limiter must still be truthy)."""
        return len(self._seen)

    def retry_after(self, key: str, now: float) -> int:
        """0 when the request may go; else whole seconds until it may."""
        with self._lock:
            self._forget_stale(now)
            times = self._seen.setdefault(key, deque())
            self._seen.move_to_end(key)
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            if len(times) < self.per_minute:
                times.append(now)
                return 0
            return max(1, math.ceil(times[0] + WINDOW_S - now))

    def _forget_stale(self, now: float) -> None:
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest and oldest[-1] > now - WINDOW_S:
                return
            self._seen.popitem(last=False)


def _too_many(what: str, wait: int) -> RateLimited:
    return RateLimited(
        f"too many {what} a minute from this client; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )


class Access:
    def __init__(self, api_keys: list[str], per_minute: int, failures_per_minute: int) -> None:
        self._keys = [k.encode() for k in api_keys]
        self._limiter = RateLimiter(per_minute) if per_minute > 0 else None
        self._failures = RateLimiter(failures_per_minute) if failures_per_minute > 0 else None

    def check(self, headers: Mapping[str, str], client: str) -> None:
        """Raise Unauthorized or RateLimited unless this request may go on."""
        key = self._key_of(headers)
        now = time.monotonic()
        if self._keys and key is None:
            wait = self._failures.retry_after(client, now) if self._failures else 0
            if wait:
                raise _too_many("failed API key attempts", wait)
            raise Unauthorized(
                "a valid API key is required", headers={"WWW-Authenticate": "Bearer"}
            )
        if self._limiter is not None:
            # Per key when keys are on (a key is only ever a validated one), else per client.
            wait = self._limiter.retry_after(key or f"ip:{client}", now)
            if wait:
                raise _too_many("requests", wait)

    def tracked_clients(self) -> int:
        """Keys and addresses the budgets remember now (each bounded by MAX_CLIENTS)."""
        limiters = (self._limiter, self._failures)
        return sum(limiter.tracked() for limiter in limiters if limiter is not None)

    def _key_of(self, headers: Mapping[str, str]) -> str | None:
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


def require_key(request: Request) -> None:
    # Not declared as an OpenAPI security scheme: keys are off unless configured, and a schema
    # that always demanded one would be wrong by default.
    client = request.client.host if request.client else "unknown"
    state_of(request.app).access.check(request.headers, client)


def keyed_router(**options: Any) -> APIRouter:
    """A router whose every route needs a key (when keys are configured)."""
    return APIRouter(dependencies=[Depends(require_key)], **options)
