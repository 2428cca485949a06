"""BylineRetriever in LlamaIndex, with the real llama-index-core: in process over the seeded
store, over HTTP against the real app (with a key), and inside a query engine (MockLLM)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from pydantic import SecretStr

from rag.errors import BylineError
from rag.integrations.llama_index import BylineRetriever
from rag.integrations.passages import InProcess
from rag.wiring import Components
from tests.conftest import serving

AID = "How much military aid did NATO promise Ukraine?"


@pytest.fixture(scope="module")
def local(seeded: Components) -> InProcess:
    return InProcess(seeded.ask_service(), seeded.settings.retrieval.top_k)


@pytest.fixture(scope="module")
def keyed(seeded: Components) -> Iterator[httpx.Client]:
    with serving(seeded.settings.updated(api_keys=SecretStr("secret"))) as client:
        yield client


def test_nodes_carry_the_passages_and_their_byline(local: InProcess) -> None:
    nodes = BylineRetriever(passages=local, top_k=3).retrieve(AID)
    assert 1 <= len(nodes) <= 3
    first = nodes[0]
    assert "€40 billion" in " ".join(n.node.get_content() for n in nodes)
    meta = first.node.metadata
    assert set(meta) >= {"outlet", "title", "url", "published_at", "article_id", "chunk_id"}
    assert first.node.node_id == meta["chunk_id"] and meta["rank"] == 1
    assert first.score is not None and first.score > 0


def test_filters_reach_retrieval(local: InProcess) -> None:
    icaro = BylineRetriever(passages=local, outlets=["icaro media group"]).retrieve(AID)
    assert icaro and {n.node.metadata["outlet"] for n in icaro} == {"ICARO Media Group"}
    # NewsTrack's article is undated: a date range keeps only ICARO's.
    dated = BylineRetriever(passages=local, since="2024-10-01", until="2024-10-31")
    assert {n.node.metadata["outlet"] for n in dated.retrieve(AID)} == {"ICARO Media Group"}
    assert BylineRetriever(passages=local, until="2024-01-01").retrieve(AID) == []


def test_over_http_with_a_key_as_in_process(local: InProcess, keyed: httpx.Client) -> None:
    url = str(keyed.base_url)
    remote = BylineRetriever(url=url, api_key="secret", top_k=3).retrieve(AID)
    here = BylineRetriever(passages=local, top_k=3).retrieve(AID)
    assert [n.node.node_id for n in remote] == [n.node.node_id for n in here]
    assert remote[0].node.metadata == here[0].node.metadata
    with pytest.raises(BylineError, match="401"):
        BylineRetriever(url=url, api_key="wrong").retrieve(AID)
    with pytest.raises(BylineError, match="not a date"):
        BylineRetriever(url=url, api_key="secret", since="last Tuesday")


def test_a_query_engine_answers_from_byline_passages(local: InProcess) -> None:
    retriever = BylineRetriever(passages=local, top_k=3)
    response = RetrieverQueryEngine.from_args(retriever, llm=MockLLM()).query(AID)
    ids = [n.node.node_id for n in retriever.retrieve(AID)]
    assert [n.node.node_id for n in response.source_nodes] == ids
    cited = CitationQueryEngine(retriever, llm=MockLLM()).query(AID)
    assert cited.source_nodes and all(
        n.node.metadata["outlet"] in {"NewsTrack", "ICARO Media Group"} for n in cited.source_nodes
    )
