"""The chat page: a hand-written page and its script and styles, served from the package.

Everything the page needs comes from this server (the policy below forbids anything else), and
answers are put on the page as text, never as HTML: they quote articles, which are untrusted.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS_PATH = "/page"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self';"
    " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def chat_page() -> FileResponse:
    """The chat page: ask, read the streamed answer, open its sources, browse the articles."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


def assets() -> StaticFiles:
    """The page's script and styles (with ETags, so a browser revalidates rather than refetches)."""
    return StaticFiles(directory=STATIC)
