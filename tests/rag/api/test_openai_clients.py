"""What OpenAI's clients expect beyond a plain completion, with the real ``openai`` client over
HTTP: usage, the usage chunk of a stream, one model's card, refusals of what Byline cannot
honour in OpenAI's error shape, and citations as ``url_citation`` annotations."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.rag.api.test_chat_api import AID, client_for, close_openai_clients

QUESTION = [{"role": "user", "content": AID}]

__all__ = ["close_openai_clients"]  # its fixture closes this module's clients too


def test_usage_counts_tokens_and_annotations_span_each_marker(api: httpx.Client) -> None:
    completion = client_for(api).chat.completions.create(model="byline", messages=QUESTION)
    message = completion.choices[0].message
    content = message.content or ""
    assert completion.usage is not None
    assert completion.usage.prompt_tokens >= len(AID.split())
    assert completion.usage.completion_tokens >= len(content.split())
    total = completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion.usage.total_tokens == total
    annotations = message.annotations or []
    assert annotations, message
    raw = completion.model_dump()
    by_number = {c["n"]: c for c in raw["citations"]}
    for annotation in annotations:
        assert annotation.type == "url_citation"
        span = annotation.url_citation
        marker = content[span.start_index : span.end_index]
        citation = by_number[int(marker.strip("[]"))]
        assert citation["title"] in span.title and citation["outlet"] in span.title
        assert span.url == citation["url"]
    # Every inline marker of the answer is annotated; the Sources list is not.
    answer = content.split("\n\nSources:")[0]
    assert len(annotations) == answer.count("[")


def test_a_stream_ends_with_a_usage_chunk_when_asked(api: httpx.Client) -> None:
    stream = client_for(api).chat.completions.create(
        model="byline", messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    annotations = finals[0].model_dump()["choices"][0]["delta"]["annotations"]
    assert annotations and all(
        content[a["url_citation"]["start_index"] : a["url_citation"]["end_index"]].startswith("[")
        for a in annotations
    )
    plain = client_for(api).chat.completions.create(model="byline", messages=QUESTION, stream=True)
    assert all(c.usage is None for c in plain)


def test_one_models_card(api: httpx.Client) -> None:
    client = client_for(api)
    assert client.models.retrieve("byline").id == "byline"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-5")
    assert missing.value.body["param"] == "model"  # type: ignore[index]


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"n": 40}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "lookup"}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "lookup"}}}, "tool_choice"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
            "response_format",
        ),
    ],
)
def test_what_byline_cannot_honour_is_refused_in_openais_shape(
    api: httpx.Client, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client_for(api).chat.completions.create(model="byline", messages=QUESTION, extra_body=extra)
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["param"] == param and error["code"] == "unsupported_parameter"
    assert error["type"] == "invalid_request_error" and param in error["message"]


def test_what_byline_can_honour_is_accepted(api: httpx.Client) -> None:
    completion = client_for(api).chat.completions.create(
        model="byline",
        messages=QUESTION,
        n=1,
        tool_choice="none",
        response_format={"type": "text"},
        temperature=0,
    )
    assert "€40 billion" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "   "}]}, "messages[-1].content"),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "messages[-1].content"),
        ({"messages": [{"role": "assistant", "content": "Hello"}]}, "messages[-1]"),
        (
            {"messages": [{"role": "user", "content": AID}], "byline": {"since": "someday"}},
            "byline.since",
        ),
        ({"messages": [{"role": "robot", "content": AID}]}, "messages[0].role"),
    ],
)
def test_chat_validation_errors_name_the_clients_field(
    api: httpx.Client, body: dict[str, Any], param: str
) -> None:
    response = api.post("/v1/chat/completions", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"].startswith(param)
    assert "question" not in error["message"].split(":")[0]
