"""Byline's generator against a scripted OpenAI-protocol server on a loopback port."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rag.answering.followup import Turn
from rag.answering.grounding import DECLINE_TEXT
from rag.answering.service import AskService, Delta, Done
from rag.retrieval.retriever import Query
from rag.wiring import Components
from tests.fake_llm import Reply, fake_llm

AID = "How much military aid did NATO promise Ukraine?"
GOOD = "NATO allies pledged €40 billion in military aid to Ukraine [1]."


def llm_service(seeded: Components, url: str, timeout_s: float = 10.0) -> AskService:
    settings = seeded.settings.updated(
        llm_model="fake-model", llm_base_url=url, llm_timeout_s=timeout_s
    )
    return replace(seeded, settings=settings).ask_service()


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


@pytest.mark.parametrize("stream", [False, True])
def test_valid_citations_survive_and_invented_markers_go(seeded: Components, stream: bool) -> None:
    reply = f"{GOOD[:-5]} [1][7]. The moon is made of cheese [9]. Rutte met ministers."
    with fake_llm(Reply(reply)) as llm:
        service = llm_service(seeded, llm.url)
        events = list(service.events(Query(AID, 5), stream=stream))
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and answer.label == "llm"
    assert answer.text == "NATO allies pledged €40 billion in military aid to Ukraine [1]."
    assert "".join(e.text for e in events if isinstance(e, Delta)) == answer.text
    [citation] = answer.citations
    assert citation.n == 1 and "€40 billion" in citation.quote
    prompt = llm.requests[0]
    assert prompt["model"] == "fake-model" and prompt.get("stream", False) is stream
    system, user = prompt["messages"]
    assert system["role"] == "system" and DECLINE_TEXT in system["content"]
    assert "{" not in system["content"] + user["content"]  # every variable filled in
    assert user["content"].count("<passage n=") == user["content"].count("</passage>") == 5
    assert AID in user["content"]


def test_citations_are_renumbered_in_order_of_first_use(seeded: Components) -> None:
    reply = "Rutte called the plan a good signal [3]. NATO pledged €40 billion to Ukraine [1][3]."
    with fake_llm(Reply(reply)) as llm:
        passages = seeded.ask_service()._retriever.retrieve(Query(AID, 5)).passages
        answer = llm_service(seeded, llm.url).ask(Query(AID, 5))
    assert answer.label == "llm"
    assert markers(answer.text) == [1, 2, 1]
    assert [c.chunk_id for c in answer.citations] == [passages[2].chunk_id, passages[0].chunk_id]


def test_an_answer_without_a_valid_citation_falls_back(seeded: Components) -> None:
    extractive = seeded.ask_service().ask(Query(AID, 5))
    with fake_llm(Reply("NATO pledged a great deal of aid [8]. Nobody knows why.")) as llm:
        answer = llm_service(seeded, llm.url).ask(Query(AID, 5))
    assert answer.label == "extractive (fallback: no valid citations)"
    assert answer.text == extractive.text and answer.citations == extractive.citations


def test_the_model_may_decline(seeded: Components) -> None:
    with fake_llm(Reply(DECLINE_TEXT)) as llm:
        answer = llm_service(seeded, llm.url).ask(Query(AID, 5))
    assert answer.declined and answer.label == "llm"
    assert answer.text == DECLINE_TEXT and answer.citations == []


@pytest.mark.parametrize("stream", [False, True])
def test_a_hanging_model_yields_the_extractive_answer_within_the_timeout(
    seeded: Components, stream: bool
) -> None:
    timeout_s = 2.0
    # The model hangs far past the timeout: the answer must come while it still hangs.
    with fake_llm(Reply(GOOD, hang_s=30)) as llm:
        service = llm_service(seeded, llm.url, timeout_s)
        events = list(service.events(Query(AID, 3), stream=stream))
        answered_before_the_model = not llm.replying.is_set()
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and answer.label == "extractive (fallback: timeout)"
    assert "€40 billion" in answer.text and answer.citations
    assert answered_before_the_model


@pytest.mark.parametrize("reply", [Reply(status=500), Reply(status=429), Reply(malformed=True)])
@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_or_malformed_reply_falls_back(
    seeded: Components, reply: Reply, stream: bool
) -> None:
    with fake_llm(reply) as llm:
        events = list(llm_service(seeded, llm.url).events(Query(AID, 5), stream=stream))
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and answer.label == "extractive (fallback: error)"
    assert "€40 billion" in answer.text


def test_a_stream_that_fails_midway_keeps_only_checked_sentences(seeded: Components) -> None:
    # Two sentences arrive, then the server stalls past the deadline.
    reply = Reply(GOOD + " Rutte met NATO ministers [2]. More", delta_delay_s=0.3, delta_chars=40)
    with fake_llm(reply) as llm:
        events = list(llm_service(seeded, llm.url, timeout_s=0.5).events(Query(AID, 5)))
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and answer.label == "llm (interrupted: timeout)"
    assert answer.text == GOOD  # the sentence that completed in time, and nothing after it
    assert "".join(e.text for e in events if isinstance(e, Delta)) == answer.text


def test_the_model_rewrites_a_follow_up_before_retrieval(seeded: Components) -> None:
    history = [Turn("user", "What did Rutte say?"), Turn("assistant", "He spoke [1].")]
    with fake_llm(Reply(AID + "\nignored second line"), Reply(GOOD)) as llm:
        answer = llm_service(seeded, llm.url).ask(Query("And how much aid?", 5), history)
    assert answer.question == AID and answer.label == "llm"
    rewrite = llm.requests[0]["messages"][1]["content"]
    assert "user: What did Rutte say?" in rewrite and "Last question: And how much aid?" in rewrite


def test_a_failed_rewrite_falls_back_to_the_rule(seeded: Components) -> None:
    history = [Turn("user", "What did Rutte call the victory plan?")]
    with fake_llm(Reply(status=503), Reply(GOOD)) as llm:
        answer = llm_service(seeded, llm.url).ask(Query("Did he endorse all of it?", 5), history)
    assert answer.question == "Did he endorse all of it? (Rutte call victory plan)"
