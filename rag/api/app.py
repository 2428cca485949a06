"""The FastAPI app: loads the model and store in the background; every error gets the envelope."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.api.access import Access
from rag.api.body_limit import BodyLimit
from rag.api.errors import error_response, field_name, invalid_request_of
from rag.api.head import HeadAsGet, methods_at
from rag.api.mcp.http import mcp_route, session_manager
from rag.api.mcp.tools import Services, build_mcp
from rag.api.metrics import Metrics, RequestMetrics
from rag.api.routers import articles, ask, ops, page, search, slack_events
from rag.api.routers import openai as openai_chat
from rag.api.routers.openai import UNSUPPORTED
from rag.api.state import ApiState, state_of
from rag.errors import (
    BY_STATUS,
    BylineError,
    InvalidJson,
    StoreError,
    Unsupported,
)
from rag.settings import Settings, get_settings
from rag.slack.bot import SlackBot, slack_bot
from rag.wiring import Components, load_encoder

log = logging.getLogger("byline.api")
STORE_RETRY_S = 2.0
NOT_JSON_TYPE = "the request body must be JSON, sent with Content-Type: application/json"
NOT_JSON = "the request body is not valid JSON (UTF-8, at most a few hundred levels deep)"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Loading torch and the model takes seconds: serve /healthz and a 503 /readyz meanwhile.
        stopping = threading.Event()
        threading.Thread(target=_load, args=(app, settings, stopping), daemon=True).start()
        async with session_manager(mcp):
            yield
        stopping.set()  # a store still being waited for is waited for no more

    app = FastAPI(
        title="Byline",
        summary="Answers questions about the news, every claim cited to its passage.",
        version="0.1.0",
        lifespan=lifespan,
    )
    access = Access(
        [key.get_secret_value() for key in settings.http.api_keys],
        settings.http.rate_limit_per_min,
        settings.http.failed_keys_per_min,
    )
    state = ApiState(Metrics(lambda: _chunks(app)), access)
    app.state.byline = state
    # Keyed routers need a key (when keys are set); the others are open by design.
    for routes in (ask, search, articles, openai_chat, ops, slack_events, page):
        app.include_router(routes.router)
    app.mount(page.ASSETS_PATH, page.assets(), name="page-assets")
    services = Services(
        state.ask_service, lambda: state.ready().catalogue, settings.retrieval.top_k
    )
    mcp = build_mcp(services)
    app.router.routes.append(mcp_route(mcp, access, settings.http.host))
    state.slack_bot = _slack_bot(state, settings)
    state.slack_signing_secret = settings.slack.signing_secret.get_secret_value()
    # Added innermost first: metrics see every answered request (a HEAD as HEAD), even a
    # refused one; CORS answers a browser's preflight before any route asks for a key.
    app.add_middleware(HeadAsGet, router=app.router)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    app.add_middleware(BodyLimit)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-api-key"],
        )
    _install_error_handlers(app)
    return app


def _slack_bot(state: ApiState, settings: Settings) -> SlackBot | None:
    """The Slack bot, when its token and signing secret are set; it answers like /ask."""
    if not settings.slack.enabled:
        return None
    return slack_bot(settings, state.ask_service)


def _chunks(app: FastAPI) -> float:
    components = state_of(app).components
    try:
        return float(components.store.count()) if components else float("nan")
    except StoreError:
        return float("nan")  # metrics stay readable while the store is down


def _load(app: FastAPI, settings: Settings, stopping: threading.Event) -> None:
    try:
        embedder = load_encoder(settings)
    except Exception as exc:
        log.exception("failed to load the embedding model")
        state_of(app).load_error = str(exc)
        return
    while True:
        try:
            components = Components.of(settings, embedder)
            components.lexical.outlets()  # builds the BM25 matrix now, not on the first question
        except StoreError as exc:
            # A Chroma server that is not up yet: not ready until it is, no restart needed.
            log.warning("%s; retrying in %.0f s", exc.message, STORE_RETRY_S)
            state_of(app).load_error = exc.message
            if stopping.wait(STORE_RETRY_S):
                return
            continue
        except Exception as exc:
            log.exception("failed to open the store")
            state_of(app).load_error = str(exc)
            return
        state_of(app).components = components
        log.info("ready: %s chunks in %s", components.store.count(), settings.store.data_dir)
        return


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BylineError)
    async def byline_error(_: Request, exc: BylineError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(InvalidJson(NOT_JSON))
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        whole_body = any(tuple(e.get("loc", ())) == ("body",) for e in errors)
        if whole_body and media_type and not _is_json(media_type):
            # FastAPI reads a body of another media type as bytes and says "should be a valid
            # dictionary", which blames the JSON; the header is what is wrong.
            message = f"{NOT_JSON_TYPE} (this request said '{media_type}')"
            return error_response(InvalidJson(message))
        fields = [field_name(e.get("loc", ())) for e in errors]
        if request.url.path.startswith("/v1/"):
            for field in fields:
                top = re.split(r"[.\[]", field, maxsplit=1)[0]  # response_format.type -> ...
                if top in UNSUPPORTED:
                    return error_response(Unsupported(UNSUPPORTED[top], top))
        return error_response(invalid_request_of(errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = BY_STATUS.get(exc.status_code)
        if kind is None:  # a status the framework has no other word for
            return error_response(BylineError(str(exc.detail)))
        # A 400 from FastAPI is a body it could not parse for a reason other than JSON syntax
        # (bytes that are not UTF-8, nesting deeper than the parser goes).
        error = kind(NOT_JSON if kind is InvalidJson else str(exc.detail))
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names only the first route of the path; GET and POST /articles are two.
            headers = {"Allow": ", ".join(methods_at(request.app.router, request.scope))}
        return error_response(error, headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(BylineError("internal server error"))
