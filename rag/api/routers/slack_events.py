"""``POST /slack/events``: the HTTP Events API (events, slash commands, button clicks).

Slack signs every request: ``v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`` in
``X-Slack-Signature``, with ``X-Slack-Request-Timestamp``. A missing or malformed signature or
timestamp, or a timestamp more than five minutes off either way, gets 401 (never 500), and the
rejected body is never logged; a signed body that is not a JSON object or form gets 400.
Verified requests go to Bolt, which answers within Slack's 3 s.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from slack_bolt import BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.concurrency import run_in_threadpool

from rag.api.errors import error_response
from rag.api.schemas import ErrorEnvelope
from rag.api.state import state_of
from rag.errors import NotFound, Unauthorized, UnreadableSlackRequest

log = logging.getLogger("byline.slack")
MAX_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
router = APIRouter(tags=["Slack"])


def verified(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> bool:
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    # ASCII digits only, and few of them: str.isdigit() takes "²" and "٣", and int() of
    # thousands of digits is slow or refused.
    if not _TIMESTAMP.fullmatch(timestamp) or not signature.startswith("v0="):
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    # Over the raw bytes: slack_sdk's verifier decodes the body as UTF-8 and raises on bytes
    # that are not, so a signed body of any bytes is checked here and judged after.
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


@router.post(
    "/slack/events",
    response_model=None,
    responses={
        200: {"description": "What Slack expects (an ack, a URL-check challenge)"},
        **{code: {"model": ErrorEnvelope} for code in (400, 401, 404)},
    },
)
async def slack_events(request: Request) -> Response:
    state = state_of(request.app)
    bot, secret = state.slack_bot, state.slack_signing_secret
    if bot is None or not secret:
        message = "Slack is not configured (BYLINE_SLACK_BOT_TOKEN, BYLINE_SLACK_SIGNING_SECRET)"
        return error_response(NotFound(message))
    body = await request.body()
    if not verified(request.headers, body, secret, time.time()):
        log.info("rejected a Slack request with a bad signature or timestamp")
        return error_response(Unauthorized("invalid Slack signature"))
    unreadable = error_response(UnreadableSlackRequest("unreadable Slack request"))
    try:
        bolt_request = BoltRequest(
            body=body.decode("utf-8"),
            query=str(request.url.query),
            headers={k: [v] for k, v in request.headers.items()},
        )
    except Exception:  # Bolt parses JSON and form bodies itself and raises whatever it meets
        log.info("a signed Slack request with an unreadable body")
        return unreadable
    if not isinstance(bolt_request.body, dict) or not bolt_request.body:
        return unreadable
    try:
        response = await run_in_threadpool(bot.app.dispatch, bolt_request)
    except Exception:
        log.exception("Slack request failed")
        return unreadable
    return to_starlette_response(response)
