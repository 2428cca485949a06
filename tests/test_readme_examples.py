"""Every example output in the README and the docs is what today's code gives over the sample
articles: each block marked ``<!-- example: NAME -->`` is run (the request it shows, against the
real app, the real CLI or the real MCP server) and its shown output compared on its structure
and the facts that matter (the cited quotes, the outlets and titles, a decline), so that a
retrained model changes only what it should (the answer's wording, its confidence) and never
fails the docs."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.wiring import Components

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)  # and every docs page
BYLINE = str(Path(sys.executable).parent / "byline")
CHECKED = {"ask", "cli", "stream", "search", "openai", "openai-stream", "follow-up", "mcp"}


def examples(name: str, blocks: int = 1) -> list[str]:
    """The code of the ``blocks`` code blocks after each ``<!-- example: name -->`` marker (two
    where a request's block is followed by its output's)."""
    found = []
    for match in re.finditer(rf"<!-- example: {re.escape(name)} -->\n", README):
        after = re.finditer(r"```[a-z]*\n(.*?)```", README[match.end() :], re.S)
        found.append("\n".join(next(after)[1] for _ in range(blocks)))
    return found


def request_body(block: str) -> Any:
    """The JSON of a shown curl's ``-d '...'``."""
    body = re.search(r"-d '(.*?)'", block, re.S)
    assert body, block
    return json.loads(body[1])


def test_every_marked_example_has_a_check() -> None:
    assert set(re.findall(r"<!-- example: ([\w-]+) -->", README)) == CHECKED


def structure(value: Any) -> Any:
    """A JSON value's shape: its keys and the kinds of its leaves (null as its own kind)."""
    if isinstance(value, dict):
        return {key: structure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [structure(item) for item in value[:1]]
    return type(value).__name__


def answer_facts(body: dict[str, Any]) -> dict[str, Any]:
    """What an /ask body says that matters: who is cited for which quote, and whether it
    declined; the wording around the quotes and the confidence's digits may change."""
    return {
        "declined": body["declined"],
        "answerer": body["answerer"],
        "question": body["question"],
        "cited": [
            (c["outlet"], c["title"], c["published_at"], c["quote"]) for c in body["citations"]
        ],
        "scope": (body["searched"]["since"], body["searched"]["outlets"]),
    }


def test_the_ask_example(api: httpx.Client) -> None:
    (block,) = examples("ask", blocks=2)
    shown = json.loads(block[block.index('{"answer"') :])
    got = api.post("/ask", json=request_body(block)).json()
    assert structure(got) == structure(shown)
    assert answer_facts(got) == answer_facts(shown)
    for citation in got["citations"]:
        assert citation["quote"] in got["answer"]  # the quote is what the answer says
    assert 0 <= got["confidence"] <= 1 and got["unsure"] == shown["unsure"]
    # Asked as of now: the time searched up to is today's.
    scope = got["searched"]
    assert scope["text"] == f"news up to {scope['until'][:10]}, from every outlet"


@pytest.fixture(scope="module")
def cli(seeded: Components) -> Iterator[dict[str, str]]:
    yield {**os.environ, "BYLINE_DATA_DIR": str(seeded.settings.store.data_dir)}


def test_the_cli_examples(cli: dict[str, str]) -> None:
    blocks = examples("cli")
    assert len(blocks) == 2
    for block in blocks:
        command, _, shown = block.partition("\n")
        argv = shlex.split(command.removeprefix("$ "))
        assert argv[0] == ".venv/bin/byline"
        made = subprocess.run(
            [BYLINE, *argv[1:]], env=cli, capture_output=True, text=True, timeout=300, check=False
        )
        assert made.returncode == 0, made.stderr
        assert text_facts(made.stdout) == text_facts(shown)
        assert made.stderr == ""  # nothing but the answer at the default log level


def text_facts(text: str) -> dict[str, Any]:
    """What a printed answer says that matters: a decline (and where it looked), the sources
    and nearest passages it names, and that its sentences are cited; not their wording."""
    listed = re.findall(
        r"^\s*(?:\[\d+\])*\s*(.+? — .+?) \((?:\d{4}-\d\d-\d\d|undated)\)", text, re.M
    )
    return {
        "declined": "Not found in the ingested articles." in text,
        "searched": bool(re.search(r"^Searched news up to \d{4}-\d\d-\d\d, from", text, re.M)),
        "listed": sorted(listed),
        "cited": bool(re.search(r"\[\d+\]", text)),
    }


def test_the_stream_example(api: httpx.Client) -> None:
    (block,) = examples("stream")
    shown = re.findall(r"event: delta\ndata: (.*)\n", block)
    with api.stream("POST", "/ask", json=request_body(block)) as response:
        lines = response.read().decode().splitlines()
    events = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("event")]
    deltas = [json.loads(data.removeprefix("data: ")) for kind, data in events if "delta" in kind]
    shown_text = "".join(json.loads(data)["text"] for data in shown)
    assert text_facts("".join(d["text"] for d in deltas)) == text_facts(shown_text)
    done = json.loads(events[-1][1].removeprefix("data: "))
    assert events[-1][0] == "event: done"
    assert done["answer"] == "".join(d["text"] for d in deltas)


def test_the_search_example(api: httpx.Client) -> None:
    (block,) = examples("search")
    request = request_body(block)
    shown = json.loads(block[block.rindex('{"question"') :])
    got = api.post("/search", json=request).json()
    assert (got["question"], got["searched_text"]) == (shown["question"], shown["searched_text"])
    # The scope's end is the moment asked: its other parts are the example's.
    assert got["searched"].pop("until") and shown["searched"].pop("until")
    assert got["searched"] == shown["searched"]
    fields = ("rank", "chunk_id", "outlet", "title", "published_at")
    assert [{f: p[f] for f in fields} for p in got["passages"]] == shown["passages"]


def test_the_openai_example(api: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = examples("openai")
    namespace: dict[str, Any] = {}
    exec(block.replace("http://127.0.0.1:8000", str(api.base_url).rstrip("/")), namespace)
    namespace["client"].close()
    printed = capsys.readouterr().out
    assert text_facts(printed) == text_facts(shown_output(block))


def shown_output(block: str) -> str:
    """What a shown snippet prints: its comment lines (a snippet's comments are its output)."""
    lines = block.splitlines()
    return "\n".join(x.removeprefix("#").removeprefix(" ") for x in lines if x[:1] == "#") + "\n"


def test_the_openai_stream_example(api: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = examples("openai-stream")
    namespace: dict[str, Any] = {}
    exec(block.replace("http://127.0.0.1:8000", str(api.base_url).rstrip("/")), namespace)
    namespace["client"].close()
    assert text_facts(capsys.readouterr().out) == text_facts(shown_output(block))


def test_the_mcp_example(cli: dict[str, str], tmp_path: Path) -> None:
    """Run as a user runs it: in a folder whose ``.byline`` is the store, ``byline`` on PATH."""
    (block,) = examples("mcp")
    (tmp_path / ".byline").symlink_to(cli["BYLINE_DATA_DIR"])
    script = tmp_path / "agent.py"
    script.write_text(block, encoding="utf-8")
    env = {**cli, "PATH": f"{Path(BYLINE).parent}{os.pathsep}{cli['PATH']}"}
    made = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    printed, shown = made.stdout.splitlines(), shown_output(block).splitlines()
    assert printed[0] == shown[0]  # the tools the server lists
    assert text_facts("\n".join(printed[1:])) == text_facts("\n".join(shown[1:]))
    assert printed[2:] == shown[2:]  # the cited outlet


def test_the_follow_up_example(api: httpx.Client) -> None:
    (block,) = examples("follow-up")
    reply = api.post("/v1/chat/completions", json=request_body(block)).json()
    content = re.search(r"^# content: (\".*\")$", block, re.M)
    question = re.search(r"^# byline.question: (\".*\")$", block, re.M)
    assert content and question
    assert text_facts(reply["choices"][0]["message"]["content"]) == text_facts(
        json.loads(content[1])
    )
    assert reply["byline"]["question"] == json.loads(question[1])
