"""Byline's error hierarchy. Each error maps to one HTTP status and one JSON envelope.

    BylineError                      500 internal_error   (base; never raised bare)
    +-- InvalidRequest               422 invalid_request  a request that parsed but makes no sense
    +-- NotReady                     503 not_ready        the store or the model is not loaded yet
    +-- StoreError                   503 store_unavailable the vector store failed a read or write
    +-- IngestError                  400 ingest_error     a source file or record cannot be ingested
    +-- StoreBusy                    409 store_busy       another ingest writes the embedded store
    +-- NotFound                     404 not_found        no such thing (a model name)
    +-- Unsupported                  400 unsupported_parameter  a chat parameter Byline
                                                          cannot honour (n > 1, tools)

Every non-2xx response body is ``{"error": {"code", "message", "type", "param"}}``: the shape
OpenAI's clients parse (``type`` is OpenAI's error class, ``param`` the request field at fault or
null). FastAPI's own validation and routing errors are mapped onto the same envelope in
``rag.api.app``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class BylineError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidRequest(BylineError):
    status_code = 422
    code = "invalid_request"


class NotReady(BylineError):
    status_code = 503
    code = "not_ready"


class StoreError(BylineError):
    status_code = 503
    code = "store_unavailable"


@contextmanager
def store_errors(action: str) -> Iterator[None]:
    """Any failure of the vector store inside becomes one StoreError naming ``action``."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many unrelated types; callers need one
        raise StoreError(f"vector store failed to {action}: {exc}") from exc


class IngestError(BylineError):
    status_code = 400
    code = "ingest_error"


class StoreBusy(BylineError):
    status_code = 409
    code = "store_busy"


class NotFound(BylineError):
    status_code = 404
    code = "not_found"


class Unsupported(BylineError):
    status_code = 400
    code = "unsupported_parameter"


# OpenAI's error classes, by Byline's code; anything else is a request the client must fix.
_OPENAI_TYPES = {
    "unauthorized": "authentication_error",
    "not_found": "not_found_error",
    "rate_limited": "rate_limit_error",
    "internal_error": "server_error",
    "not_ready": "server_error",
    "store_unavailable": "server_error",
}


def error_envelope(
    code: str, message: str, param: str | None = None
) -> dict[str, dict[str, str | None]]:
    kind = _OPENAI_TYPES.get(code, "invalid_request_error")
    return {"error": {"code": code, "message": message, "type": kind, "param": param}}
