"""``GET /metrics`` in Prometheus' text format, one registry per app (per worker process).

Request counts and latency histograms per route template, retrieval and answer timings per
answerer, answers by answerer and decline, and the chunks in the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from rag.api.body_limit import ASGIApp, Message, Receive, Scope, Send
from rag.domain.models import Answer

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self, chunks: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "byline_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "byline_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.retrieval = Histogram(
            "byline_retrieval_seconds",
            "Retrieval time per question.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answering = Histogram(
            "byline_answer_seconds",
            "Answer (generation or extraction) time per question.",
            ["answerer"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "byline_answers", "Answers given.", ["answerer", "declined"], registry=self.registry
        )
        Gauge("byline_store_chunks", "Chunks in the store.", registry=self.registry).set_function(
            chunks
        )

    def observe_answer(self, answer: Answer) -> None:
        # "extractive (fallback: timeout)" keeps its reason: fallbacks are what to watch.
        self.retrieval.observe(answer.retrieval_ms / 1000)
        self.answering.labels(answer.answerer.value).observe(answer.answer_ms / 1000)
        self.answers.labels(answer.answerer.value, str(answer.declined).lower()).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Counts and times every request by its route template (``/ask``, not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
