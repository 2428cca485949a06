"""The Slack bot over HTTP: signed requests to the real app, replies to a fake Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.signature import SignatureVerifier

from rag.adapters.embedder import Embedder
from rag.settings import Settings
from rag.slack.store import SlackStore
from tests.conftest import ROOT, SEEDS, components_at, serving
from tests.fake_llm import Reply, fake_llm
from tests.fake_slack import BOT_USER, FakeSlack, fake_slack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
AID = "How much military aid did NATO promise Ukraine?"
MASS_MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<!subteam^S1>")
ALERT = {
    "url": "https://www.example-news.com/2024/10/18/drill",
    "title": "Kyiv holds an air-raid drill",
    "outlet": "Example News",
    "published_at": "2024-10-18",
    "text": "<!channel> <!here> <!everyone> Kyiv held a city-wide air-raid drill on Friday, "
    "officials said, and <@U0EVIL> <!subteam^S1> thanked the volunteers who took part.",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    folder = tmp_path_factory.mktemp("slack")
    (folder / "alert.jsonl").write_text(json.dumps(ALERT) + "\n", encoding="utf-8")
    components = components_at(folder / "data", embedder)
    summary = components.ingestor().ingest_paths([SEEDS, folder / "alert.jsonl"])
    assert summary.new == 3
    return folder / "data"


class Outcomes(logging.Handler):
    """What the bot settled for each message event (its log records): a test waits here to
    know that nothing more will be posted for a message, never on a sleep."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._settled: list[tuple[str, str, str]] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        outcome = getattr(record, "slack_outcome", None)
        if outcome is not None:
            with self._changed:
                self._settled.append((record.slack_ts, record.slack_event_id, outcome))  # type: ignore[attr-defined]
                self._changed.notify_all()

    def wait(self, key: str, count: int = 1, timeout: float = 60) -> list[str]:
        """The outcomes of the message (ts) or event id ``key``, once there are ``count``."""

        def found() -> list[str]:
            return [o for ts, event_id, o in self._settled if key in (ts, event_id)]

        with self._changed:
            assert self._changed.wait_for(lambda: len(found()) >= count, timeout), key
            return found()


@pytest.fixture
def outcomes() -> Iterator[Outcomes]:
    handler, bot_log = Outcomes(), logging.getLogger("byline.slack")
    level = bot_log.level
    bot_log.addHandler(handler)
    bot_log.setLevel(logging.INFO)
    yield handler
    bot_log.removeHandler(handler)
    bot_log.setLevel(level)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


def slack_settings(data_dir: Path, slack: FakeSlack, **more: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret=SECRET,  # type: ignore[arg-type]
        slack_api_url=slack.url,
        **more,
    )


@pytest.fixture(scope="module")
def api(data_dir: Path, slack: FakeSlack) -> Iterator[httpx.Client]:
    with serving(slack_settings(data_dir, slack)) as client:
        yield client


def signed(body: str, age_s: float = 0, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp if timestamp is not None else str(int(time.time() - age_s))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def post_event(
    api: httpx.Client, event: dict[str, Any], event_id: str, retry: int = 0
) -> httpx.Response:
    body = json.dumps(
        {
            "token": "unused",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )
    headers = {"Content-Type": "application/json", **signed(body)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return api.post("/slack/events", content=body, headers=headers)


def post_form(api: httpx.Client, fields: dict[str, str]) -> httpx.Response:
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    return api.post("/slack/events", content=body, headers=headers)


def mention(ts: str, text: str, channel: str = "C1", **more: str) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        **more,
    }


def sources_of(message: dict[str, Any]) -> str:
    blocks = (
        message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    )
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def test_a_mention_gets_one_threaded_cited_reply(api: httpx.Client, slack: FakeSlack) -> None:
    assert post_event(api, mention("100.1", AID), "Ev100").status_code == 200
    slack.wait_for_post("100.1")
    [reply] = slack.posted("100.1")
    assert reply["channel"] == "C1"
    assert reply["unfurl_links"] is False and reply["unfurl_media"] is False
    shown = sources_of(reply)
    assert "€40 billion" in shown and "*Sources*\n[1] ICARO Media Group — NATO" in shown
    # The same calibrated confidence as /ask gives, marked when the answer is unsure.
    asked = api.post("/ask", json={"question": AID}).json()
    blocks = reply["blocks"] if isinstance(reply["blocks"], list) else json.loads(reply["blocks"])
    [context] = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert f"Confidence {asked['confidence']:.2f}" in context
    assert ("*Unsure*" in context) == asked["unsure"]
    slack.wait_for_call("reactions.remove", "100.1")
    reactions = [
        (c.method, c.params.get("timestamp")) for c in slack.calls if "reactions" in c.method
    ]
    assert ("reactions.add", "100.1") in reactions and ("reactions.remove", "100.1") in reactions


def test_a_decline_says_where_it_looked_and_lists_the_nearest_passages(
    api: httpx.Client, slack: FakeSlack
) -> None:
    question = "Who won the 2022 FIFA World Cup final?"
    assert post_event(api, mention("110.1", question), "Ev110").status_code == 200
    slack.wait_for_post("110.1")
    [reply] = slack.posted("110.1")
    shown = sources_of(reply)
    assert "Not found in the ingested articles" in shown
    assert "Searched news up to " in shown and ", from every outlet." in shown
    assert "*The nearest passages found*\n• " in shown
    assert "ICARO Media Group — " in shown or "NewsTrack — " in shown


def test_a_direct_message_is_answered_in_its_thread(api: httpx.Client, slack: FakeSlack) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": AID,
        "ts": "300.1",
    }
    assert post_event(api, event, "Ev300").status_code == 200
    slack.wait_for_post("300.1")
    [reply] = slack.posted("300.1")
    assert reply["channel"] == "D1" and "ICARO Media Group" in sources_of(reply)


def test_a_thread_follow_up_uses_the_earlier_turns(
    api: httpx.Client, slack: FakeSlack, outcomes: Outcomes
) -> None:
    post_event(api, mention("200.1", "What did Rutte call the victory plan?"), "Ev200")
    slack.wait_for_post("200.1")
    follow_up = {
        "type": "message",
        "channel_type": "channel",
        "channel": "C1",
        "user": "U1",
        "text": "Did he endorse all of it?",
        "ts": "200.5",
        "thread_ts": "200.1",
    }
    post_event(api, follow_up, "Ev201")
    slack.wait_for_post("200.1", count=2)
    second = sources_of(slack.posted("200.1")[1])
    assert "withheld full endorsement" in second or "not fully endorsing" in second
    # A thread Byline never answered in is left alone.
    stranger = {**follow_up, "thread_ts": "250.1", "ts": "250.2"}
    post_event(api, stranger, "Ev250")
    assert outcomes.wait("250.2") == [
        "ignored: not a direct message nor a thread Byline answers in"
    ]
    assert slack.posted("250.1") == []


def test_the_slash_command_answers_in_a_thread(api: httpx.Client, slack: FakeSlack) -> None:
    response = post_form(
        api,
        {
            "command": "/byline",
            "text": AID,
            "team_id": "T1",
            "channel_id": "C9",
            "user_id": "U1",
            "trigger_id": "t",
            "response_url": "https://hooks.slack.invalid/x",
        },
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 60
    while not [m for m in slack.posted() if m["channel"] == "C9" and m.get("thread_ts")]:
        assert time.monotonic() < deadline, "no threaded reply to the slash command"
        time.sleep(0.1)
    parent, *replies = [m for m in slack.posted() if m["channel"] == "C9"]
    assert parent["text"] == f"<@U1> asked: {AID}" and "thread_ts" not in parent
    [reply] = replies
    assert "ICARO Media Group" in sources_of(reply)


def test_four_deliveries_of_one_event_give_one_reply(
    api: httpx.Client, slack: FakeSlack, outcomes: Outcomes
) -> None:
    for retry in range(4):
        assert post_event(api, mention("400.1", AID), "Ev400", retry=retry).status_code == 200
    # Every delivery settled: one answered, three refused as already claimed.
    settled = outcomes.wait("400.1", count=4)
    assert sorted(settled) == ["a delivery of an event already claimed"] * 3 + ["answered"]
    assert len(slack.posted("400.1")) == 1


def test_article_text_never_mentions_anyone(api: httpx.Client, slack: FakeSlack) -> None:
    post_event(api, mention("500.1", "What did Kyiv hold on Friday?"), "Ev500")
    slack.wait_for_post("500.1")
    [reply] = slack.posted("500.1")
    shown = json.dumps(reply)
    assert "air-raid drill" in shown
    for mass in MASS_MENTIONS:
        assert mass not in shown


def test_bots_and_the_bot_itself_are_ignored(
    api: httpx.Client, slack: FakeSlack, outcomes: Outcomes
) -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D2", "text": AID}
    post_event(api, {**base, "ts": "600.1", "bot_id": "B9", "user": "U7"}, "Ev600")
    post_event(api, {**base, "ts": "600.2", "user": BOT_USER}, "Ev601")
    post_event(api, {**base, "ts": "600.3", "user": "U1", "subtype": "message_changed"}, "Ev602")
    for ts in ("600.1", "600.2", "600.3"):
        assert outcomes.wait(ts)[0].startswith("ignored"), ts
    assert [m for m in slack.posted() if m["channel"] == "D2"] == []


@pytest.mark.parametrize(
    ("age_s", "timestamp", "status"),
    [
        (299, None, 200),
        (301, None, 401),
        (-301, None, 401),
        (0, "abc", 401),
        (0, "", 401),
        (0, "9" * 5000, 401),
        (0, "17²", 401),
        (0, "١٧٠٠٠٠٠٠٠٠", 401),  # Arabic-Indic digits
        (0, "1700000000.5", 401),
        (0, "-1700000000", 401),
    ],
)
def test_request_timestamps(
    api: httpx.Client, age_s: int, timestamp: str | None, status: int
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-1", "token": "unused"})
    # UTF-8 on the wire, as a client sending "17²" would.
    headers = {k: v.encode() for k, v in signed(body, age_s, timestamp).items()}
    response = api.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status
    if status == 200:
        assert response.json()["challenge"] == "c-1"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", "{bad"),
        ("application/json", "[1]"),
        ("application/json", '"text"'),
        ("application/json", "\udcff"),
        ("application/x-www-form-urlencoded", "payload=%7Bbad"),
        ("application/x-www-form-urlencoded", "payload="),
        ("application/x-www-form-urlencoded", ""),
    ],
)
def test_signed_unreadable_bodies_get_400(api: httpx.Client, content_type: str, body: str) -> None:
    raw = body.encode("utf-8", "surrogateescape")  # "\udcff": the byte 0xff, not UTF-8
    stamp = str(int(time.time()))
    base = f"v0:{stamp}:".encode() + raw
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    response = api.post("/slack/events", content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "unreadable_request"


def test_bad_signatures_get_401(api: httpx.Client) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c"})
    good = signed(body)
    assert api.post("/slack/events", content=body).status_code == 401
    forged = {**good, "X-Slack-Signature": "v0=" + "0" * 64}
    assert api.post("/slack/events", content=body, headers=forged).status_code == 401
    assert api.post("/slack/events", content=body + " ", headers=good).status_code == 401
    malformed = {**good, "X-Slack-Signature": "garbage"}
    assert api.post("/slack/events", content=body, headers=malformed).status_code == 401


def test_feedback_clicks_are_stored(api: httpx.Client, data_dir: Path) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U3"},
        "channel": {"id": "C1"},
        "message": {"ts": "9000.000001"},
        "api_app_id": "A1",
        "token": "unused",
        "trigger_id": "t",
        "container": {"type": "message"},
        "actions": [
            {
                "action_id": "byline_not_helpful",
                "block_id": "b",
                "type": "button",
                "value": json.dumps({"q": AID}),
                "action_ts": "1",
            }
        ],
    }
    assert post_form(api, {"payload": json.dumps(payload)}).status_code == 200
    rows = SlackStore(data_dir).feedback()
    assert {(r["user"], r["value"], r["question"]) for r in rows} == {("U3", "not helpful", AID)}


def test_a_rate_limited_post_is_retried_after_retry_after(
    api: httpx.Client, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client's own wait, read where it sleeps (an injected clock, not a stopwatch).
    waits: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=waits.append))
    slack.rate_limits.append(1)
    post_event(api, mention("700.1", AID), "Ev700")
    slack.wait_for_post("700.1")
    attempts = [
        c
        for c in slack.calls
        if c.method == "chat.postMessage" and c.params.get("thread_ts") == "700.1"
    ]
    assert [c.status for c in attempts] == [429, 200]
    assert len(waits) == 1 and waits[0] >= 1.0  # Retry-After: 1
    assert len(slack.posted("700.1")) == 1


def test_the_ack_comes_within_3_s_while_the_answer_takes_10(
    data_dir: Path, slack: FakeSlack
) -> None:
    with fake_llm(
        Reply("NATO allies pledged €40 billion in military aid to Ukraine [1].", hang_s=10)
    ) as llm:
        settings = slack_settings(
            data_dir, slack, llm_model="slow", llm_base_url=llm.url, llm_timeout_s=30
        )
        with serving(settings) as slow:
            response = post_event(slow, mention("800.1", AID), "Ev800")
            # Acknowledged while the model still hangs: the ack never waits for the answer,
            # so it meets Slack's three seconds however long an answer takes.
            assert response.status_code == 200 and not llm.replying.is_set()
            assert slack.posted("800.1") == []
            slack.wait_for_post("800.1")
    assert len(slack.posted("800.1")) == 1


def test_the_manifest_asks_for_what_the_bot_uses() -> None:
    manifest = yaml.safe_load((ROOT / "rag" / "slack" / "manifest.yaml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "reactions:write",
        "im:history",
    } <= scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/byline"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
