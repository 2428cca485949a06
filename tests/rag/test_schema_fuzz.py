"""schemathesis against the running app's own OpenAPI schema: no input it allows breaks it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from rag.embedder import Embedder
from tests.conftest import SEEDS, components_at, serving

schema = schemathesis.pytest.from_fixture("api_schema")


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
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: schemathesis.Case) -> None:
    # Some rules are beyond JSON Schema (since <= until, a question that is not blank, a chat
    # that ends with the user's turn): such schema-valid requests rightly get 422.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
