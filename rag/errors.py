"""Byline's error hierarchy: every code the service emits. Each error maps to one HTTP status and
one JSON envelope.

    BylineError                  500 internal_error         a bug (the base; never raised bare)
    +-- InvalidJson              400 invalid_json           the body is not JSON for any reason
    +-- Unsupported              400 unsupported_parameter  a chat parameter Byline cannot honour
    +-- UnreadableSlackRequest   400 unreadable_request     a signed Slack body that is no event
    +-- IngestError              400 ingest_error           a file or record cannot be ingested
    +-- Unauthorized             401 unauthorized           a missing or wrong key or signature
    +-- NotFound                 404 not_found              no such route or model
    +-- MethodNotAllowed         405 method_not_allowed     the path takes other methods
    +-- StoreBusy                409 store_busy             another ingest writes the embedded store
    +-- TooLarge                 413 too_large              the body is over the limit
    +-- InvalidRequest           422 invalid_request        a request that parsed but makes no sense
    +-- RateLimited              429 rate_limited           over a per-minute budget
    +-- GenerationFailed         502 model_failed           the chat model failed (the ask service
    |                                                       falls back; never reaches a client)
    +-- NotReady                 503 not_ready              the store or the model is not loaded yet
    +-- StoreError               503 store_unavailable      the vector store failed a read or write
    +-- PromptError              500 prompt_error           a prompt file is broken (at start-up)

Every non-2xx response body is ``{"error": {"code", "message", "type", "param"}}``: the shape
OpenAI's clients parse (``type`` is OpenAI's error class, ``param`` the request field at fault or
null). FastAPI's own validation and routing errors become these errors in ``rag.api.app``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar


class BylineError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    # OpenAI's error class for clients that speak its protocol.
    kind: ClassVar[str] = "server_error"

    def __init__(
        self, message: str, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}  # sent with the response: Retry-After, WWW-Authenticate

    def envelope(self) -> dict[str, dict[str, str | None]]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "type": self.kind,
                "param": self.param,
            }
        }


class InvalidJson(BylineError):
    status_code = 400
    code = "invalid_json"
    kind = "invalid_request_error"


class Unsupported(BylineError):
    status_code = 400
    code = "unsupported_parameter"
    kind = "invalid_request_error"


class UnreadableSlackRequest(BylineError):
    status_code = 400
    code = "unreadable_request"
    kind = "invalid_request_error"


class IngestError(BylineError):
    status_code = 400
    code = "ingest_error"
    kind = "invalid_request_error"


class Unauthorized(BylineError):
    status_code = 401
    code = "unauthorized"
    kind = "authentication_error"


class NotFound(BylineError):
    status_code = 404
    code = "not_found"
    kind = "not_found_error"


class MethodNotAllowed(BylineError):
    status_code = 405
    code = "method_not_allowed"
    kind = "invalid_request_error"


class StoreBusy(BylineError):
    status_code = 409
    code = "store_busy"
    kind = "invalid_request_error"


class TooLarge(BylineError):
    status_code = 413
    code = "too_large"
    kind = "invalid_request_error"


class InvalidRequest(BylineError):
    status_code = 422
    code = "invalid_request"
    kind = "invalid_request_error"


class RateLimited(BylineError):
    status_code = 429
    code = "rate_limited"
    kind = "rate_limit_error"


class GenerationFailed(BylineError):
    """The chat model timed out, failed or answered nonsense; ``reason`` says which, briefly."""

    status_code = 502
    code = "model_failed"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class NotReady(BylineError):
    status_code = 503
    code = "not_ready"


class StoreError(BylineError):
    status_code = 503
    code = "store_unavailable"


class PromptError(BylineError):
    code = "prompt_error"


class EmbeddingMismatch(BylineError):
    """The store's vectors were made by another model: no query of this one compares."""

    code = "embedding_mismatch"


# What an HTTP status from the framework (routing, body parsing) means in this hierarchy.
BY_STATUS: dict[int, type[BylineError]] = {
    400: InvalidJson,
    401: Unauthorized,
    404: NotFound,
    405: MethodNotAllowed,
    413: TooLarge,
    429: RateLimited,
}


@contextmanager
def store_errors(action: str) -> Iterator[None]:
    """Any failure of the vector store inside becomes one StoreError naming ``action``."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many unrelated types; callers need one
        raise StoreError(f"vector store failed to {action}: {exc}") from exc
