"""schemathesis against the running app's own OpenAPI schema: no input it allows breaks it, and
every input it allows is accepted (the schema is as strict as the server).

``BYLINE_FUZZ_EXAMPLES`` raises the examples per operation for a long run by hand, and
``BYLINE_FUZZ_PATH`` keeps one route (README, "Development"); CI keeps the bounded default.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date, datetime

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from rag.adapters.embedder import Embedder
from rag.api.body_limit import MAX_BODY_BYTES
from rag.api.schemas import BLANKS, NOT_BLANK
from rag.domain.text import normalize_text
from tests.conftest import SEEDS, components_at, serving

schema = schemathesis.pytest.from_fixture("api_schema")
if only := os.environ.get("BYLINE_FUZZ_PATH"):  # e.g. /ask, for a long run of one route
    schema = schema.include(path=only)


@pytest.fixture(scope="module")
def fuzzed_api(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[httpx.Client]:
    """Its own copy of the seeded store: the fuzzer posts articles, other tests count them."""
    components = components_at(tmp_path_factory.mktemp("fuzzed"), embedder)
    components.ingestor().ingest_paths([SEEDS])
    with serving(components.settings) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(fuzzed_api: httpx.Client) -> schemathesis.BaseSchema:
    base = str(fuzzed_api.base_url).rstrip("/")
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


@schema.parametrize()
# The same examples every run (fixed seed, no example database): CI must be reproducible.
@settings(
    max_examples=int(os.environ.get("BYLINE_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: schemathesis.Case) -> None:
    if len(json.dumps(case.body, default=str)) > MAX_BODY_BYTES:
        # Refused by size before anything reads it: 413, which schemathesis does not count
        # among the statuses that reject invalid data.
        response = case.call()
        assert response.status_code == 413, response.text
    elif beyond_json_schema(case):
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
    else:
        case.call_and_validate()


def beyond_json_schema(case: schemathesis.Case) -> bool:
    """Requests that break a documented rule JSON Schema cannot state (since after until; a
    chat that ends with the user's question; an article with visible text in its title and
    body, after invisible and control characters are stripped): they rightly get 4xx."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.path == "/articles" and case.method.upper() == "POST":
        texts = [body.get("title"), body.get("body")]
        return any(isinstance(t, str) and not normalize_text(t).strip() for t in texts)
    if case.path == "/v1/chat/completions":
        messages, options = body.get("messages"), body.get("byline")
        if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
            return False  # not the schema's shape: a negative case, judged by the schema alone
        options = options if isinstance(options, dict) else {}
        return not _a_question(messages[-1]) or _since_after_until(options)
    return case.path in ("/ask", "/search") and _since_after_until(body)


def _a_question(message: dict[str, object]) -> bool:
    """The user's turn with text: a string, or text parts (their texts joined)."""
    content = message.get("content")
    if isinstance(content, list):
        content = "\n".join(
            str(p.get("text"))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text" and p.get("text")
        )
    text = content if isinstance(content, str) else ""
    return (
        message.get("role") == "user"
        and re.search(NOT_BLANK, text) is not None
        and len(text.strip(BLANKS)) <= 2000
    )


def _since_after_until(options: dict[str, object]) -> bool:
    since, until = options.get("since"), options.get("until")
    if not isinstance(since, str) or not isinstance(until, str):
        return False
    try:
        return _moment(since, start=True) > _moment(until, start=False)
    except ValueError:  # not dates at all: a negative case, judged by the schema alone
        return False


def _moment(text: str, start: bool) -> datetime:
    from rag.retrieval.retriever import day_end, day_start

    value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return day_start(value) if start else day_end(value)
