"""BylineRetriever in LangChain, with the real langchain-core: documents, filters, HTTP, and a
chain that answers from them with LangChain's own fake chat model."""

from __future__ import annotations

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from rag.integrations.langchain import BylineRetriever
from rag.integrations.passages import InProcess
from rag.wiring import Components

AID = "How much military aid did NATO promise Ukraine?"


@pytest.fixture(scope="module")
def local(seeded: Components) -> InProcess:
    return InProcess(seeded.ask_service(), seeded.settings.retrieval.top_k)


def test_documents_carry_the_passages_and_their_byline(local: InProcess) -> None:
    docs = BylineRetriever(passages=local, top_k=3).invoke(AID)
    assert 1 <= len(docs) <= 3
    assert "€40 billion" in " ".join(d.page_content for d in docs)
    first = docs[0]
    assert first.id == first.metadata["chunk_id"] and first.metadata["rank"] == 1
    assert first.metadata["score"] > 0 and first.metadata["outlet"]


def test_filters_and_http(local: InProcess, api: httpx.Client) -> None:
    icaro = BylineRetriever(passages=local, outlets=["ICARO Media Group"]).invoke(AID)
    assert icaro and {d.metadata["outlet"] for d in icaro} == {"ICARO Media Group"}
    remote = BylineRetriever(url=str(api.base_url), top_k=3).invoke(AID)
    here = BylineRetriever(passages=local, top_k=3).invoke(AID)
    assert [d.id for d in remote] == [d.id for d in here]


def test_a_chain_answers_from_byline_documents(local: InProcess) -> None:
    retriever = BylineRetriever(passages=local, top_k=2)
    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    seen: list[str] = []

    def context(docs: list[object]) -> str:
        text = "\n".join(getattr(d, "page_content", "") for d in docs)
        seen.append(text)
        return text

    chain = (
        {"context": retriever | context, "question": RunnablePassthrough()}
        | prompt
        | FakeListChatModel(responses=["NATO promised €40 billion."])
    )
    reply = chain.invoke(AID)
    assert reply.content == "NATO promised €40 billion."
    assert seen and "€40 billion" in seen[0]
