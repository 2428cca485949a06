"""``/mcp`` in the API app: the MCP server over streamable HTTP, behind the same API keys and
per-minute budgets as the keyed routes (the body-size guard is the app's own middleware).

Stateless and answered as plain JSON: each POST is one MCP request, so the server keeps no
table of sessions to grow with its clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from rag.api.access import Access
from rag.api.errors import error_response
from rag.errors import BylineError

MCP_PATH = "/mcp"


class _Keyed:
    """The MCP endpoint, reached only with a key (when keys are set) and within budget."""

    def __init__(self, app: StreamableHTTPASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope["client"][0] if scope.get("client") else "unknown"
        try:
            self.access.check(Headers(scope=scope), client)
        except BylineError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mcp_route(server: MCPServer, access: Access, host: str) -> Route:
    """The route to add to the app; run ``session_manager(server)`` in the app's lifespan.
    Bound to a loopback host, the SDK also refuses other Host headers (DNS rebinding)."""
    server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=True, json_response=True, host=host
    )
    endpoint = _Keyed(StreamableHTTPASGIApp(server.session_manager), access)
    return Route(MCP_PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"])


@asynccontextmanager
async def session_manager(server: MCPServer) -> AsyncIterator[None]:
    async with server.session_manager.run():
        yield
