"""A real HTTP server on 127.0.0.1 for the fetching tests: routes of fixed responses, counted.

Each route answers with a status, headers and a body; it can honour ETag (304 when the client
sends it back), wait on an event before answering (a page the test holds while it kills a
watcher), or stream a body of any size without a Content-Length.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM_PIECE = 64 * 1024


@dataclass(kw_only=True)
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    hold: threading.Event | None = None  # answer only once this is set
    stream_bytes: int = 0  # a body this long, streamed without a Content-Length
    # Statuses answered before the route's own, one per request (503s before a 200).
    before: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass
class Site:
    url: str
    routes: dict[str, Route]
    hits: Counter[str] = field(default_factory=Counter)
    agents: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)  # a held route was asked

    def link(self, path: str) -> str:
        return self.url + path


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            site.hits[path] += 1
            site.agents.append(self.headers.get("User-Agent", ""))
            route = site.routes.get(path)
            if route is None:
                self._answer(404, {"Content-Type": "text/plain"}, b"not found")
                return
            if route.before:
                status, headers = route.before.pop(0)
                self._answer(status, headers, b"busy")
                return
            if route.hold is not None:
                site.holding.set()
                route.hold.wait(60)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self._answer(304, {"ETag": route.etag}, b"")
                return
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.etag:
                headers["ETag"] = route.etag
            if route.stream_bytes:
                self._stream(route.status, headers, route.stream_bytes)
                return
            self._answer(route.status, headers, route.body)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # unless the client gave up waiting, as it should

        def _stream(self, status: int, headers: dict[str, str], size: int) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            piece = b"<p>" + b"x" * (STREAM_PIECE - 7) + b"</p>\n"
            try:
                for _ in range(size // len(piece)):
                    self.wfile.write(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client refused the rest, as it should
            self.close_connection = True

    return Handler


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Site("", routes)))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    site = Site(f"http://{host!s}:{port}", routes)
    server.RequestHandlerClass = _handler(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        for route in routes.values():
            if route.hold is not None:
                route.hold.set()
        server.shutdown()
        server.server_close()


def news_page(title: str, paragraphs: list[str], date: str = "", site_name: str = "") -> bytes:
    """A news page as outlets serve them: navigation, the article, a footer."""
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    site = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>{meta}{site}</head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024. All rights reserved. Subscribe to our newsletter.</footer>"
        "</body></html>"
    ).encode()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of (link, title, RFC 822 date) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>"
        for link, t, d in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>'
        f"<link>http://example.org/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def atom(items: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed of (link, title, ISO updated) entries."""
    entries = "".join(
        f"<entry><title>{t}</title><link href='{link}'/><id>{link}</id><updated>{u}</updated>"
        "</entry>"
        for link, t, u in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom test</title><id>urn:test</id><updated>2024-11-02T00:00:00Z</updated>{entries}"
        "</feed>"
    ).encode()


def sitemap(items: list[tuple[str, str]]) -> bytes:
    """A news sitemap of (link, ISO publication date)."""
    urls = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication_date>{d}</news:publication_date>"
        "</news:news></url>"
        for loc, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()
