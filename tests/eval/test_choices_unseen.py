"""An eval run never shows the service a question's choices: only the question (and, for a
follow-up, the questions before it) reaches it, in process and over HTTP alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from eval.questions import EvalQuestion
from eval.runs import in_process, over_http
from rag.answering.followup import Turn
from rag.answering.service import AskService
from rag.retrieval.retriever import Query
from rag.wiring import Components

CHOICES = ("Quelmarine Fund", "Ostravel Pact", "Vintrope Accord", "Zelbrin Charter")
QUESTION = EvalQuestion(
    id="q1",
    question="How much military aid did NATO say it would deliver to Ukraine?",
    kind="number",
    answerable=True,
    answers=(CHOICES[0],),
    choices=CHOICES,
    as_of=date(2024, 10, 20),
    after=("What did Rutte say about Ukraine?",),
)


def _assert_unseen(seen: list[str]) -> None:
    assert seen, "nothing was asked"
    text = "\n".join(seen).casefold()
    for choice in CHOICES:
        for word in choice.split():
            assert word.casefold() not in text


def test_in_process_the_service_sees_only_the_questions(
    seeded: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    ask = AskService.ask

    def recording(self: AskService, query: Query, history: list[Turn] | None = None) -> Any:
        seen.append(repr(query))
        seen.extend(repr(turn) for turn in history or [])
        return ask(self, query, history)

    monkeypatch.setattr(AskService, "ask", recording)
    asker = in_process(seeded.ask_service(), seeded.retriever(), 5)
    asker(QUESTION)
    _assert_unseen(seen)
    assert any("What did Rutte say" in s for s in seen)  # the follow-up's history did arrive


def test_over_http_the_requests_hold_only_the_questions(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    clients: list[httpx.Client] = []
    send = httpx.Client.send

    def recording(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        seen.append(request.content.decode("utf-8"))
        clients.append(self)
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", recording)
    over_http(str(api.base_url))(QUESTION)
    for client in clients:  # the run's own client lives as long as the run: close it here
        client.close()
    _assert_unseen(seen)
    assert any("military aid" in s for s in seen)
