"""A small Slack Web API on a loopback port: records every call, answers like Slack.

Methods reply ``{"ok": true, ...}`` the way Slack does (``auth.test`` names the bot, and
``chat.postMessage`` returns a fresh ``ts``); a script can make ``chat.postMessage`` answer
429 with ``Retry-After`` first.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = "UBOT"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int


@dataclass
class FakeSlack:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    rate_limits: list[int] = field(default_factory=list)  # Retry-After of upcoming 429s
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def posted(self, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages chat.postMessage accepted (in a thread, if given)."""
        return [
            c.params
            for c in list(self.calls)
            if c.method == "chat.postMessage"
            and c.status == 200
            and (thread_ts is None or c.params.get("thread_ts") == thread_ts)
        ]

    def wait_for_post(self, thread_ts: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.posted(thread_ts)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply in thread {thread_ts} after {timeout} s")
            time.sleep(0.1)

    def wait_for_call(self, method: str, timestamp: str, timeout: float = 60) -> None:
        """Until ``method`` was called for the message at ``timestamp`` (the bot's calls after
        its reply, such as taking its reaction back, come a moment after the reply)."""
        deadline = time.monotonic() + timeout
        while not any(
            c.method == method and c.params.get("timestamp") == timestamp for c in list(self.calls)
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} for {timestamp} after {timeout} s")
            time.sleep(0.1)

    def _respond(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            if method == "chat.postMessage" and self.rate_limits:
                retry_after = self.rate_limits.pop(0)
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            if method == "auth.test":
                body = {"ok": True, "team_id": "T1", "user_id": BOT_USER, "bot_id": "BBOT"}
                return 200, {**body, "url": "https://t1.slack.com/", "user": "byline"}, {}
            if method == "chat.postMessage":
                ts = f"9000.{next(self._ts):06d}"
                return 200, {"ok": True, "channel": params.get("channel"), "ts": ts}, {}
            return 200, {"ok": True}, {}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                params = json.loads(raw or "{}")
            else:
                params = dict(parse_qsl(raw))
            method = self.path.rstrip("/").rsplit("/", 1)[-1]
            status, body, headers = fake._respond(method, params)
            fake.calls.append(Call(method, params, time.monotonic(), status))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
