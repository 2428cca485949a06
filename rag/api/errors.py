"""Byline's errors as HTTP responses: the status and the envelope come from the error itself."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from rag.errors import BylineError


def error_response(error: BylineError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error.envelope(), error.status_code, headers={**error.headers, **(headers or {})}
    )
