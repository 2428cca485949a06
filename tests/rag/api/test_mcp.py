"""Byline's MCP server driven by the official SDK's client: over stdio (a real ``byline mcp``
process, launched exactly as the README's client configuration says) and over streamable HTTP
(a real ``byline serve`` process with API keys), both over the seeded store."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from rag.wiring import Components
from tests.conftest import free_port, readiness, wait_for

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
KEY = "mcp-test-key"
QUESTION = "How much military aid did NATO say it would deliver to Ukraine?"


def readme_client_config(marker: str = "mcp-config") -> dict[str, Any]:
    """A client configuration the README shows (Claude Desktop's, or VS Code's over HTTP)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- {marker} -->\n```json\n(.*?)```", readme, re.S)
    assert block, "the README shows no MCP client configuration"
    config: dict[str, Any] = json.loads(block[1])
    return config


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data: dict[str, Any] = result.structured_content
    return data


def error_text(result: Any) -> str:
    assert result.is_error
    return " ".join(part.text for part in result.content)


async def exercise(client: Client) -> None:
    """The same checks over either transport: the tools, each one's happy path, bad arguments."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"search_news", "ask", "list_outlets"}
    for tool in tools.values():
        assert tool.annotations and tool.annotations.read_only_hint
        assert tool.input_schema["type"] == "object"
    assert tools["ask"].input_schema["required"] == ["question"]

    outlets = structured(await client.call_tool("list_outlets", {}))
    assert outlets["articles"] == 2
    assert {item["outlet"] for item in outlets["items"]} == {"ICARO Media Group", "NewsTrack"}

    found = structured(await client.call_tool("search_news", {"query": QUESTION, "top_k": 3}))
    assert 1 <= len(found["passages"]) <= 3
    first = found["passages"][0]
    assert first["outlet"] in {"ICARO Media Group", "NewsTrack"} and first["title"]
    assert {"published_at", "url", "chunk_id", "article_id"} <= set(first)
    assert "40" in " ".join(p["text"] for p in found["passages"])

    answer = structured(await client.call_tool("ask", {"question": QUESTION}))
    assert not answer["declined"] and 0 < answer["confidence"] <= 1
    assert "[1]" in answer["answer"] and answer["citations"][0]["n"] == 1
    assert answer["citations"][0]["title"] and answer["citations"][0]["quote"] in answer["answer"]

    silent = structured(
        await client.call_tool("ask", {"question": "Who won the 1998 World Cup final?"})
    )
    assert silent["declined"] and silent["citations"] == []

    bad = await client.call_tool("search_news", {"query": "NATO", "top_k": 50})
    assert "top_k: Input should be less than or equal to 20" in error_text(bad)
    blank = await client.call_tool("ask", {"question": "   "})
    assert "question: Value error, must not be blank" in error_text(blank)
    dates = await client.call_tool("ask", {"question": QUESTION, "since": "yesterday"})
    assert "since: Value error, expected a date (YYYY-MM-DD)" in error_text(dates)
    wrong_type = await client.call_tool("search_news", {"query": QUESTION, "outlets": "CNN"})
    assert "outlets" in error_text(wrong_type)
    missing = await client.call_tool("ask", {})
    assert "question" in error_text(missing)


def test_stdio_as_the_readme_configures_it(seeded: Components) -> None:
    server = readme_client_config()["mcpServers"]["byline"]
    env = {**server["env"], "BYLINE_DATA_DIR": str(seeded.settings.store.data_dir)}
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # `byline` as an installed command
    env["BYLINE_CACHE_DIR"] = os.environ["BYLINE_CACHE_DIR"]
    params = StdioServerParameters(command=server["command"], args=server["args"], env=env)

    async def run() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            await exercise(client)

    asyncio.run(run())


@pytest.fixture(scope="module")
def served(seeded: Components) -> Iterator[str]:
    """A real ``byline serve`` process over the seeded store, with an API key."""
    port = free_port()
    env = {
        **os.environ,
        "BYLINE_DATA_DIR": str(seeded.settings.store.data_dir),
        "BYLINE_API_KEYS": KEY,
        "BYLINE_LOG_LEVEL": "warning",
    }
    argv = [str(BIN / "byline"), "serve", "--port", str(port)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as probe:
            wait_for(lambda: readiness(probe) == 200, f"byline serve on {port}", 120)
        yield f"{base}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()


@asynccontextmanager
async def keyed_client(url: str, key: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60)) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, read_timeout_seconds=60) as client:
            yield client


def test_streamable_http_behind_the_api_key(served: str) -> None:
    async def run() -> None:
        async with keyed_client(served, KEY) as client:
            await exercise(client)

    asyncio.run(run())


def test_the_readmes_http_configuration_reaches_the_tools(served: str) -> None:
    server = readme_client_config("mcp-http-config")["servers"]["byline"]
    assert server["type"] == "http" and server["url"] == "http://127.0.0.1:8000/mcp"
    headers = {k: v.replace("YOUR_KEY", KEY) for k, v in server["headers"].items()}

    async def run() -> None:
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60)) as http:
            url = server["url"].replace("http://127.0.0.1:8000/mcp", served)
            async with Client(streamable_http_client(url, http_client=http)) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert names == {"search_news", "ask", "list_outlets"}

    asyncio.run(run())


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_http_without_a_valid_key_is_refused(served: str, key: str | None) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    refused = httpx.post(served, json=body, headers={**headers, **accept}, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"

    async def run() -> None:
        async with keyed_client(served, key) as client:
            await client.list_tools()

    with pytest.raises(ExceptionGroup) as raised:  # the SDK's client gets no session
        asyncio.run(run())
    assert raised.group_contains(MCPError, match="error response", depth=2)
