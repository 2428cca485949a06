"""``HEAD`` on every ``GET`` route: the GET's status and headers, without its body.

FastAPI routes answer only the methods they declare, so ``HEAD /readyz`` would be a 405. Here a
HEAD to a path that some route takes by GET runs as that GET, and the body is dropped on the way
out (Content-Length stays, as HTTP asks).
"""

from __future__ import annotations

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def methods_at(app: ASGIApp, scope: Scope) -> list[str]:
    """The methods some route of ``app`` takes at this scope's path (HEAD wherever GET is)."""
    found: set[str] = set()
    # Inside a mount (the static files' own 405) the root path is the mount's: match from the
    # app's root, as the router did.
    scope = {**scope, "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
    for route in getattr(app, "routes", []):
        if isinstance(route, Mount):  # the page's static assets: GET and HEAD only
            if route.matches(scope)[0] != Match.NONE:
                found |= {"GET", "HEAD"}
            continue
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if route.matches({**scope, "method": method})[0] == Match.FULL:
                found.add(method)
    if "GET" in found:
        found.add("HEAD")
    return [m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") if m in found]


class HeadAsGet:
    def __init__(self, app: ASGIApp, router: ASGIApp) -> None:
        self.app = app
        self._router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        if "GET" not in methods_at(self._router, scope):
            await self.app(scope, receive, send)  # the router answers 405 with Allow
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
