"""Byline's errors as HTTP responses: the status and the envelope come from the error itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse

from rag.errors import BylineError, InvalidRequest


def error_response(error: BylineError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error.envelope(), error.status_code, headers={**error.headers, **(headers or {})}
    )


def field_name(loc: Sequence[int | str]) -> str:
    """A validation error's location as the client wrote it: ``messages[0].content``."""
    name = ""
    for part in loc:
        if part == "body" and not name:
            continue
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or "body"


def invalid_request_of(errors: Sequence[Any]) -> InvalidRequest:
    """Pydantic's validation errors as one InvalidRequest, every field named: the same words
    over HTTP (the envelope) and over MCP (a tool error)."""
    fields = [field_name(e.get("loc", ())) for e in errors]
    message = "; ".join(f"{field}: {e['msg']}" for field, e in zip(fields, errors, strict=True))
    return InvalidRequest(message, fields[0] if fields else None)
