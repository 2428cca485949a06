"""Exact HTTP over the real app: bodies that are not JSON for any reason (or JSON sent under
another media type), HEAD on every GET
route, and a 405 that always says what is allowed."""

from __future__ import annotations

import httpx
import pytest

from tests.rag.api.test_api import assert_envelope

JSON = {"Content-Type": "application/json"}
NOT_JSON = [
    b'{"question": ',  # cut short
    b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser goes (over the body limit too)
    b'{"question": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",  # deep, and under the limit
    b'{"question": "caf\xe9?"}',  # Latin-1, not UTF-8
    b'{"question": "\xff\xfe"}',
    b"\xef\xbb\xbf\xef\xbb\xbf{}",
]


@pytest.mark.parametrize("path", ["/ask", "/v1/chat/completions", "/articles"])
@pytest.mark.parametrize("body", NOT_JSON, ids=range(len(NOT_JSON)))
def test_a_body_that_is_not_json_is_400_invalid_json(
    api: httpx.Client, path: str, body: bytes
) -> None:
    response = api.post(path, content=body, headers=JSON)
    if len(body) > 64 * 1024:
        assert_envelope(response, 413, "too_large")
    else:
        assert_envelope(response, 400, "invalid_json")


@pytest.mark.parametrize("path", ["/ask", "/search", "/v1/chat/completions", "/articles"])
@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_json_sent_under_another_media_type_is_told_so(
    api: httpx.Client, path: str, media_type: str
) -> None:
    body = b'{"question": "What did NATO say?", "title": "t", "body": "b"}'
    response = api.post(path, content=body, headers={"Content-Type": media_type})
    assert_envelope(response, 400, "invalid_json")
    message = response.json()["error"]["message"]
    assert "Content-Type: application/json" in message and media_type in message
    assert "dictionary" not in message


def get_paths(api: httpx.Client) -> list[str]:
    schema = api.get("/openapi.json").json()
    return [path for path, item in schema["paths"].items() if "get" in item and "{" not in path] + [
        "/v1/models/byline",
        "/page/app.js",
        "/page/app.css",
    ]


def test_head_works_on_every_get_route(api: httpx.Client) -> None:
    for path in get_paths(api):
        got = api.get(path)
        head = api.head(path)
        assert got.status_code == 200, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if "content-length" in got.headers and path not in ("/metrics", "/readyz"):
            assert head.headers["content-length"] == got.headers["content-length"], path


def test_head_where_there_is_no_get_is_405(api: httpx.Client) -> None:
    response = api.head("/ask")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST", "GET"])
def test_every_405_names_what_is_allowed(api: httpx.Client, method: str) -> None:
    paths = [*get_paths(api), "/ask", "/v1/chat/completions", "/articles", "/slack/events"]
    for path in paths:
        response = api.request(method, path)
        if response.status_code != 405:
            continue
        allowed = [m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()]
        assert allowed and method not in allowed, (path, allowed)
        assert_envelope(response, 405, "method_not_allowed")
    assert api.request(method, "/page/app.js").status_code in (200, 405)
    if method != "GET":
        assert api.request(method, "/page/app.js").headers["allow"] == "GET, HEAD"
    assert api.request("DELETE", "/articles").headers["allow"] == "GET, HEAD, POST"
