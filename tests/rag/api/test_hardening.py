"""API keys, body limits, rate limits, CORS and /metrics, over HTTP with the real app."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from rag.settings import Settings
from rag.wiring import Components
from tests.conftest import serving

AID = {"question": "How much military aid did NATO promise Ukraine?"}


@pytest.fixture(scope="module")
def guarded(seeded: Components) -> Iterator[httpx.Client]:
    settings: Settings = seeded.settings.updated(
        api_keys=SecretStr("k1, k2,k3"),
        rate_limit_per_min=4,
        failed_keys_per_min=5,
        cors_origins="https://news.example",
    )
    with serving(settings) as client:
        yield client


def envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_keys_are_required_and_checked(guarded: httpx.Client) -> None:
    missing = guarded.post("/ask", json=AID)
    wrong = guarded.post("/ask", json=AID, headers={"Authorization": "Bearer k4"})
    envelope(missing, 401, "unauthorized")
    assert missing.content == wrong.content and wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert guarded.post("/ask", json=AID, headers={"Authorization": "Bearer k1"}).status_code == 200
    assert guarded.get("/articles", headers={"X-API-Key": "k2"}).status_code == 200
    for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert guarded.get(open_path).status_code == 200


def test_failed_key_attempts_are_limited_per_address_not_per_key(seeded: Components) -> None:
    settings: Settings = seeded.settings.updated(
        api_keys=SecretStr("good"), rate_limit_per_min=3, failed_keys_per_min=4
    )
    with serving(settings) as client:
        guesses = [f"guess-{i}" for i in range(4)]
        statuses = [
            client.get("/articles", headers={"X-API-Key": guess}).status_code for guess in guesses
        ]
        assert statuses == [401] * 4
        for wrong in ({"X-API-Key": "guess-9"}, {"Authorization": "Bearer nope"}, {}):
            limited = client.get("/articles", headers=wrong)
            envelope(limited, 429, "rate_limited")
            assert 1 <= int(limited.headers["retry-after"]) <= 60
        # The valid key still has its whole budget of 3.
        ok = [client.get("/articles", headers={"X-API-Key": "good"}).status_code for _ in range(3)]
        assert ok == [200] * 3
        envelope(client.get("/articles", headers={"X-API-Key": "good"}), 429, "rate_limited")
        assert client.get("/healthz").status_code == 200  # open paths are never limited


def test_bodies_over_64_kib_get_413_unread(guarded: httpx.Client) -> None:
    big = b'{"question": "' + b"x" * 70_000 + b'"}'
    headers = {"Authorization": "Bearer k1", "Content-Type": "application/json"}
    envelope(guarded.post("/ask", content=big, headers=headers), 413, "too_large")

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"question": "'
        for _ in range(20):
            yield b"y" * 4096
        yield b'"}'

    envelope(guarded.post("/ask", content=chunked(), headers=headers), 413, "too_large")


def test_the_rate_limit_answers_429_with_retry_after(guarded: httpx.Client) -> None:
    headers = {"X-API-Key": "k3"}
    statuses = [guarded.get("/articles", headers=headers).status_code for _ in range(4)]
    assert statuses == [200] * 4
    limited = guarded.get("/articles", headers=headers)
    envelope(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert guarded.get("/articles", headers={"X-API-Key": "k2"}).status_code == 200  # per key


def test_cors_allows_only_the_configured_origins(guarded: httpx.Client, api: httpx.Client) -> None:
    def preflight(client: httpx.Client, origin: str) -> httpx.Response:
        return client.options(
            "/ask",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )

    allowed = preflight(guarded, "https://news.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://news.example"
    assert "access-control-allow-origin" not in preflight(guarded, "https://evil.example").headers
    assert "access-control-allow-origin" not in preflight(api, "https://news.example").headers


def test_metrics_count_requests_per_route_and_time_answers(api: httpx.Client) -> None:
    assert api.post("/ask", json=AID).status_code == 200
    api.get("/no-such-page")
    text = api.get("/metrics").text
    assert 'byline_http_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert (
        'byline_http_request_duration_seconds_bucket{le="0.5",method="POST",route="/ask"}' in text
    )
    assert 'byline_answers_total{answerer="extractive",declined="false"}' in text
    assert "byline_retrieval_seconds_count" in text and "byline_store_chunks 5.0" in text


def test_loose_types_are_refused_not_guessed(api: httpx.Client) -> None:
    for field, value in (("as_of", 0), ("top_k", "5"), ("stream", 0), ("include_passages", "yes")):
        response = api.post("/ask", json={**AID, field: value})
        envelope(response, 422, "invalid_request")
        assert field in response.json()["error"]["message"]


def test_every_route_is_keyed_but_the_open_ones() -> None:
    from fastapi.routing import APIRoute

    from rag.api.access import require_key
    from rag.api.app import create_app

    open_by_design = {"/", "/healthz", "/readyz", "/metrics", "/slack/events"}
    for route in create_app(Settings()).routes:
        if not isinstance(route, APIRoute):
            continue  # the schema, the docs pages and the page's assets: no data
        keyed = any(d.call is require_key for d in route.dependant.dependencies)
        assert keyed != (route.path in open_by_design), route.path
