"""The OpenAI-compatible endpoint and streaming /ask, over HTTP, with the official openai client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from rag.wiring import Components
from tests.conftest import serving
from tests.fake_llm import FakeLLM, Reply, fake_llm

AID = "How much military aid did NATO promise Ukraine?"
GOOD = "NATO allies pledged €40 billion in military aid to Ukraine [1]."


OPENED: list[openai.OpenAI] = []


def client_for(api: httpx.Client) -> openai.OpenAI:
    client = openai.OpenAI(
        base_url=f"{str(api.base_url).rstrip('/')}/v1", api_key="unused", max_retries=0
    )
    OPENED.append(client)  # closed after the module (its pooled sockets with it)
    return client


@pytest.fixture(scope="module", autouse=True)
def close_openai_clients() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    event = "message"
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))
            event = "message"


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with fake_llm(Reply(GOOD)) as fake:
        yield fake


@pytest.fixture(scope="module")
def llm_api(seeded: Components, llm: FakeLLM) -> Iterator[httpx.Client]:
    settings = seeded.settings.updated(
        llm_model="fake-model", llm_base_url=llm.url, llm_timeout_s=10.0
    )
    with serving(settings) as client:
        yield client


def test_the_openai_client_gets_a_cited_extractive_answer(api: httpx.Client) -> None:
    client = client_for(api)
    assert [m.id for m in client.models.list()] == ["byline"]
    completion = client.chat.completions.create(
        model="byline", messages=[{"role": "user", "content": AID}], temperature=0.2
    )
    content = completion.choices[0].message.content or ""
    assert "€40 billion" in content and "[1]" in content
    assert "\n\nSources:\n[1] ICARO Media Group — " in content
    extra = completion.model_extra or {}
    assert extra["citations"][0]["n"] == 1 and "€40 billion" in extra["citations"][0]["quote"]
    assert extra["byline"]["answerer"] == "extractive"
    asked = api.post("/ask", json={"question": AID}).json()
    same = {k: v for k, v in asked.items() if k not in ("answer", "citations", "passages")}
    for timing in ("retrieval_ms", "answer_ms"):
        assert isinstance(extra["byline"].pop(timing), float)
        same.pop(timing)
    for facts in (extra["byline"], same):  # asked as of now, a moment apart
        facts["searched"].pop("until")
    assert extra["byline"] == same  # /ask's facts, the confidence among them
    assert 0 < same["confidence"] <= 1


def test_the_openai_client_streams_the_same_answer(api: httpx.Client) -> None:
    client = client_for(api)
    messages: list[Any] = [{"role": "user", "content": AID}]
    whole = client.chat.completions.create(model="byline", messages=messages)
    chunks = list(client.chat.completions.create(model="byline", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (whole.model_extra or {})["citations"]


def test_the_llm_answers_through_the_openai_endpoint(llm_api: httpx.Client, llm: FakeLLM) -> None:
    llm.script[:] = [Reply(GOOD[:-5] + " [1][7]. Invented [9].")]
    client = client_for(llm_api)
    for stream in (False, True):
        if stream:
            chunks = list(
                client.chat.completions.create(
                    model="byline", messages=[{"role": "user", "content": AID}], stream=True
                )
            )
            content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            extra = chunks[-1].model_extra or {}
        else:
            completion = client.chat.completions.create(
                model="byline", messages=[{"role": "user", "content": AID}]
            )
            content, extra = (
                completion.choices[0].message.content or "",
                completion.model_extra or {},
            )
        assert content.startswith(GOOD + "\n\nSources:\n[1] ")
        assert "[7]" not in content and "Invented" not in content
        assert extra["byline"]["answerer"] == "llm" and len(extra["citations"]) == 1


def test_ask_streams_checked_deltas_then_the_citations(llm_api: httpx.Client, llm: FakeLLM) -> None:
    second = "Rutte said NATO would meet its €40 billion military aid goal for Ukraine [1][2]."
    llm.script[:] = [Reply(f"{GOOD} {second} Cheese [8].")]
    with llm_api.stream("POST", "/ask", json={"question": AID, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response.iter_lines()))
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"}
    done = events[-1][1]
    assert "".join(data["text"] for kind, data in events[:-1]) == done["answer"]
    assert done["answerer"] == "llm" and "Cheese" not in done["answer"]
    assert done["answer"].startswith(GOOD) and len(done["citations"]) >= 1


def test_a_client_that_disconnects_stops_generation(llm_api: httpx.Client, llm: FakeLLM) -> None:
    sentences = " ".join(f"NATO pledged aid to Ukraine, point {i} [1]." for i in range(200))
    llm.client_hung_up.clear()
    llm.chunks_sent = 0
    llm.script[:] = [Reply(sentences, delta_delay_s=0.05, delta_chars=20)]
    with llm_api.stream("POST", "/ask", json={"question": AID, "stream": True}) as response:
        for line in response.iter_lines():
            if line.startswith("event: delta"):
                break
    assert llm.client_hung_up.wait(timeout=10), "Byline kept the model generating"
    assert llm.chunks_sent < len(sentences) // 20


def test_a_follow_up_is_answered_from_the_conversation_without_an_llm(api: httpx.Client) -> None:
    first = "What did Rutte call the victory plan?"
    answer = api.post("/ask", json={"question": first}).json()["answer"]
    body = {
        "model": "byline",
        "messages": [
            {"role": "user", "content": first},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "Did he endorse all of it?"},
        ],
    }
    reply = api.post("/v1/chat/completions", json=body).json()
    assert "Rutte" in reply["byline"]["question"]
    quotes = " ".join(c["quote"] for c in reply["citations"])
    assert "withheld full endorsement" in quotes or "not fully endorsing" in quotes
    alone = api.post("/ask", json={"question": "Did he endorse all of it?"}).json()
    assert alone["declined"]


def test_a_follow_up_does_not_get_the_previous_answer_again_word_for_word(
    api: httpx.Client,
) -> None:
    first = "What did Rutte say?"
    answer = api.post("/ask", json={"question": first}).json()["answer"]
    assert answer.count("[1]") > 1  # several sentences
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer}]
    body = {"question": "Did he endorse all of it?", "history": history}
    again = api.post("/ask", json=body).json()
    assert not again["declined"] and "endors" in again["answer"]
    # Not the previous answer again: at most its best sentence, beside what is new.
    before = {s for s in re.split(r"\s*\[\d+\]\s*", answer) if s}
    again_sentences = {s for s in re.split(r"\s*\[\d+\]\s*", again["answer"]) if s}
    assert again["answer"] != answer and len(again_sentences & before) <= 1


def test_filters_pass_through_the_byline_object(api: httpx.Client) -> None:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": AID}]}
    later = api.post("/v1/chat/completions", json={**body, "byline": {"since": "2030-01-01"}})
    assert later.status_code == 200 and later.json()["byline"]["declined"]
    assert later.json()["citations"] == []
    bad = api.post("/v1/chat/completions", json={**body, "byline": {"since": "someday"}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    ends_with_answer = {"messages": [{"role": "assistant", "content": "Hello"}]}
    assert api.post("/v1/chat/completions", json=ends_with_answer).status_code == 422
