"""The Bolt app: who triggers an answer, and how it reaches the thread.

Triggers: an @mention in a channel, a direct message, a reply in a thread where Byline has
answered before (its earlier questions and answers are the history), and ``/byline``. Every
request is acknowledged at once (Bolt acks events itself; commands and buttons call ``ack``
first) and answered afterwards on Bolt's worker threads, with :eyes: on the question meanwhile.
Retried deliveries of one event are claimed in SQLite and dropped; the bot's own messages and
other bots' are ignored; Slack's 429s are retried after their Retry-After.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from rag.answering.followup import Turn
from rag.answering.service import AskService
from rag.domain.models import Answer
from rag.errors import BylineError
from rag.retrieval.retriever import Query
from rag.settings import Settings
from rag.slack.format import HELPFUL, NOT_HELPFUL, answer_message, escape
from rag.slack.store import SlackStore

log = logging.getLogger("byline.slack")
AnswerFn = Callable[[str, list[Turn]], Answer]
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def slack_bot(settings: Settings, service: Callable[[], AskService]) -> SlackBot:
    """The bot for these settings. ``service()`` is called per question, so that the API can
    hand over its ask service once the model has loaded in the background."""

    def answer(question: str, history: list[Turn]) -> Answer:
        return service().ask(Query(question, settings.retrieval.top_k), history)

    client = web_client(
        settings.slack.bot_token.get_secret_value(),
        settings.slack.api_url,
        settings.slack.timeout_s,
    )
    return SlackBot(answer, SlackStore(settings.store.data_dir), client)


def web_client(token: str, base_url: str, timeout_s: float) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=int(timeout_s))
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def question_of(text: str) -> str:
    """The question in a Slack message: mentions dropped, links as plain text, unescaped."""
    text = _MENTION.sub("", text)
    text = _LINK.sub(lambda m: m[2] or m[1], text)
    return " ".join(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())


class SlackBot:
    def __init__(self, answer: AnswerFn, store: SlackStore, client: WebClient) -> None:
        self._answer = answer
        self._store = store
        # Signatures are checked before Bolt sees a request (rag/api/slack_events.py), and Socket
        # Mode needs none; Bolt would log rejected bodies and fail on a malformed timestamp.
        self.app = App(
            client=client,
            request_verification_enabled=False,
            token_verification_enabled=False,
            process_before_response=False,
            # Its own messages are ignored below, where what became of each event is logged.
            ignoring_self_events_enabled=False,
        )
        self.app.middleware(self._once_per_event)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/byline")(self._on_command)
        self.app.action(HELPFUL)(self._on_feedback)
        self.app.action(NOT_HELPFUL)(self._on_feedback)

    def _once_per_event(
        self, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        event_id = body.get("event_id")
        if event_id and not self._store.claim_event(str(body.get("team_id", "")), event_id):
            _done(body.get("event", {}), "a delivery of an event already claimed", event_id)
            return BoltResponse(status=200, body="")
        return next()

    def _on_mention(self, event: dict[str, Any], context: BoltContext) -> None:
        if _from_a_bot(event, context):
            _done(event, "ignored: from a bot")
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        self._reply(context, event["channel"], thread_ts, question_of(event["text"]), event["ts"])
        _done(event, "answered")

    def _on_message(self, event: dict[str, Any], context: BoltContext) -> None:
        if _from_a_bot(event, context) or event.get("subtype"):
            _done(event, "ignored: from a bot, or an edit")
            return
        text = event.get("text", "")
        if context.bot_user_id and f"<@{context.bot_user_id}>" in text:
            _done(event, "ignored: its app_mention event answers it")
            return
        channel, thread_ts = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            self._reply(context, channel, thread_ts or event["ts"], question_of(text), event["ts"])
            _done(event, "answered")
        elif thread_ts and self._store.turns(context.team_id or "", channel, thread_ts):
            self._reply(context, channel, thread_ts, question_of(text), event["ts"])
            _done(event, "answered")
        else:
            _done(event, "ignored: not a direct message nor a thread Byline answers in")

    def _on_command(
        self, ack: Callable[..., None], command: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        question = question_of(command.get("text", ""))
        channel, user = command["channel_id"], command["user_id"]
        if not question:
            context.client.chat_postEphemeral(
                channel=channel, user=user, text="Ask a question: `/byline what did NATO pledge?`"
            )
            return
        parent = context.client.chat_postMessage(
            channel=channel,
            text=f"<@{user}> asked: {escape(question)}",
            unfurl_links=False,
            unfurl_media=False,
        )
        self._reply(context, channel, str(parent["ts"]), question, None)

    def _on_feedback(
        self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        ack()
        try:
            question = str(json.loads(action.get("value") or "{}").get("q", ""))
        except json.JSONDecodeError:
            question = ""
        self._store.add_feedback(
            team=str(body.get("team", {}).get("id", "")),
            channel=str(body.get("channel", {}).get("id", "")),
            message_ts=str(body.get("message", {}).get("ts", "")),
            user=str(body.get("user", {}).get("id", "")),
            value="helpful" if action["action_id"] == HELPFUL else "not helpful",
            question=question,
        )

    def _reply(
        self,
        context: BoltContext,
        channel: str,
        thread_ts: str,
        question: str,
        reacts_to: str | None,
    ) -> None:
        client: WebClient = context.client
        team = context.team_id or ""
        if reacts_to:
            _react(client.reactions_add, channel, reacts_to)
        try:
            answer: Answer | None = None
            try:
                answer = self._answer(question, self._store.turns(team, channel, thread_ts))
                message = answer_message(answer, question)
            except BylineError as exc:
                message = {"text": f"Sorry, I cannot answer right now: {escape(exc.message)}"}
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
            if answer is not None:
                turns = [Turn("user", question), Turn("assistant", answer.text)]
                self._store.add_turns(team, channel, thread_ts, turns)
        except Exception:
            log.exception("answering in %s/%s failed", channel, thread_ts)
        finally:
            if reacts_to:
                _react(client.reactions_remove, channel, reacts_to)


def _done(event: dict[str, Any], outcome: str, event_id: str = "") -> None:
    """What became of a message event, logged once it is settled (the tests wait on these
    records to know that nothing more will be posted, never on a sleep)."""
    ts = str(event.get("ts", ""))
    log.info(
        "message %s in %s: %s",
        ts or event_id,
        event.get("channel", "?"),
        outcome,
        extra={"slack_ts": ts, "slack_event_id": event_id, "slack_outcome": outcome},
    )


def _from_a_bot(event: dict[str, Any], context: BoltContext) -> bool:
    """A bot's message, Byline's own included."""
    own = context.bot_user_id is not None and event.get("user") == context.bot_user_id
    return own or bool(event.get("bot_id") or event.get("bot_profile"))


def _react(call: Callable[..., Any], channel: str, ts: str) -> None:
    try:
        call(channel=channel, timestamp=ts, name="eyes")
    except SlackApiError as exc:  # a missing reaction never stops an answer
        log.info("reaction on %s/%s failed: %s", channel, ts, exc.response.get("error"))
