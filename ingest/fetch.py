"""Polite HTTP for ingest: a timeout on every request, a bounded number in flight in all and per
host, a delay between two requests to one host, 429/503 retried after their Retry-After
(httpx-retries), the proxy variables honoured (httpx's trust_env), a descriptive User-Agent,
robots.txt obeyed (protego), redirects followed, and responses over a size limit refused.

Failures are values (``FetchFailure`` with a reason a Prometheus label can carry), never raised:
one bad URL is one line and the rest go on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
from httpx_retries import Retry, RetryTransport
from protego import Protego

from rag.settings import FetchSettings

RETRIED = (429, 503)
# Retry-After above this is not waited for: the URL fails and the next poll tries again.
MAX_RETRY_WAIT_S = 120.0


@dataclass(frozen=True)
class Fetched:
    url: str  # where the redirects ended
    status: int  # 200, or 304 when a conditional request found it unchanged
    content: bytes
    content_type: str  # the media type, lower case, without parameters
    etag: str = ""
    last_modified: str = ""

    @property
    def unchanged(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FetchFailure:
    url: str
    reason: str  # a short label: timeout, robots, http_404, too_large, network, not_http...
    message: str  # the line a person reads

    def line(self) -> str:
        return f"{self.url}: {self.message}"


Outcome = Fetched | FetchFailure


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends: the last response's ETag and Last-Modified."""

    etag: str = ""
    last_modified: str = ""


@dataclass
class _Host:
    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)  # read once per host
    next_start: float = 0.0
    robots: Protego | None = None
    robots_failure: FetchFailure | None = None
    robots_read: bool = False


class Fetcher:
    """One per run; thread-safe. ``clock``/``sleep`` are injectable for tests of the delay."""

    def __init__(
        self,
        settings: FetchSettings,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        retry = Retry(
            total=settings.retries,
            status_forcelist=RETRIED,
            retry_on_exceptions=[],  # a host that does not answer fails now, not four times
            backoff_factor=0.5,
            respect_retry_after_header=True,
            max_backoff_wait=MAX_RETRY_WAIT_S,
        )
        self._client = httpx.Client(
            transport=RetryTransport(transport or httpx.HTTPTransport(), retry=retry),
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=True,
            max_redirects=10,
            headers={"User-Agent": settings.user_agent},
            trust_env=True,  # HTTP_PROXY, HTTPS_PROXY, NO_PROXY
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, url: str, validators: Validators | None = None) -> Outcome:
        """The URL's body, or why not; robots.txt is read once per host and obeyed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return FetchFailure(url, "not_http", "not an http(s) URL")
        host = self._host(parts.netloc)
        refused = self._robots_refusal(url, parts.scheme, parts.netloc, host)
        if refused is not None:
            return refused
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return self._polite(host, lambda: self._request(url, headers))

    def get_many(self, urls: Iterable[str]) -> Iterator[tuple[str, Outcome]]:
        """Every URL's outcome in the order given, ``max_in_flight`` at a time, fetching only
        that far ahead of the reader: a sitemap of thousands of pages never sits in memory
        whole while the first ones are embedded."""
        ahead = self._settings.max_in_flight
        with ThreadPoolExecutor(ahead) as pool:
            pending: deque[tuple[str, Future[Outcome]]] = deque()
            for url in urls:
                pending.append((url, pool.submit(self.get, url)))
                if len(pending) >= ahead:
                    done_url, future = pending.popleft()
                    yield done_url, future.result()
            while pending:
                done_url, future = pending.popleft()
                yield done_url, future.result()

    def _host(self, netloc: str) -> _Host:
        with self._hosts_lock:
            if netloc not in self._hosts:
                self._hosts[netloc] = _Host(threading.Semaphore(self._settings.per_host))
            return self._hosts[netloc]

    def _polite(self, host: _Host, request: Callable[[], Outcome]) -> Outcome:
        """At most ``per_host`` at once to a host, starts at least ``host_delay_s`` apart."""
        with host.slots:
            with host.lock:
                now = self._clock()
                start = max(now, host.next_start)
                host.next_start = start + self._settings.host_delay_s
            if start > now:
                self._sleep(start - now)
            return request()

    def _robots_refusal(
        self, url: str, scheme: str, netloc: str, host: _Host
    ) -> FetchFailure | None:
        with host.robots_lock:
            if not host.robots_read:
                robots_url = urlunsplit((scheme, netloc, "/robots.txt", "", ""))
                outcome = self._polite(host, lambda: self._request(robots_url, {}))
                host.robots_read = True
                if isinstance(outcome, Fetched):
                    host.robots = Protego.parse(outcome.content.decode("utf-8", "replace"))
                elif outcome.reason in ("timeout", "network"):
                    # The host does not answer: its pages would not either.
                    host.robots_failure = outcome
                # Any other failure (404, 401, not text) means no rules: everything allowed.
        if host.robots_failure is not None:
            return FetchFailure(url, host.robots_failure.reason, host.robots_failure.message)
        if host.robots is not None and not host.robots.can_fetch(url, self._settings.user_agent):
            return FetchFailure(url, "robots", "robots.txt forbids it; not fetched")
        return None

    def _request(self, url: str, headers: dict[str, str]) -> Outcome:
        limit = self._settings.max_bytes
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                final = str(response.url)
                if response.status_code == 304:
                    return Fetched(final, 304, b"", "")
                if response.status_code >= 400:
                    return FetchFailure(
                        url, f"http_{response.status_code}", f"HTTP {response.status_code}"
                    )
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    return _too_large(url, limit)
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        return _too_large(url, limit)
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Fetched(
                    final,
                    response.status_code,
                    bytes(body),
                    kind,
                    etag=response.headers.get("ETag", ""),
                    last_modified=response.headers.get("Last-Modified", ""),
                )
        except httpx.TimeoutException:
            return FetchFailure(url, "timeout", f"no answer within {self._settings.timeout_s:g} s")
        except httpx.TooManyRedirects:
            return FetchFailure(url, "redirects", "too many redirects")
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return FetchFailure(url, "network", f"cannot fetch ({type(exc).__name__}: {exc})")


def _too_large(url: str, limit: int) -> FetchFailure:
    return FetchFailure(
        url, "too_large", f"response over {limit:,} bytes (BYLINE_FETCH_MAX_BYTES); refused"
    )
