"""The README and the docs site document every setting, command, option and route, every command
they show is one the CLI takes, and the framework snippets run (checked, so none can drift)."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.api.app import create_app
from rag.cli import build_parser
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {page.name: page.read_text(encoding="utf-8") for page in (ROOT / "docs").glob("*.md")}
EVERYTHING = "\n".join([README, *DOCS.values()])
README_LINES = 300
COMMAND_LINE = re.compile(r"(?:[A-Z_]+=\S+ )*(?:\.venv/bin/)?byline ")


@pytest.mark.parametrize("name", sorted(Settings().flat(secrets=True)))
def test_every_setting_is_in_the_configuration_table(name: str) -> None:
    assert f"| `BYLINE_{name.upper()}` |" in DOCS["configuration.md"]


def test_the_readme_counts_the_settings_the_code_has() -> None:
    count = len(Settings().flat(secrets=True))
    assert f"All {count} settings" in README
    assert DOCS["configuration.md"].count("| `BYLINE_") == count


def test_every_command_is_documented() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"`byline {name}" in DOCS["cli.md"]


def test_every_makefile_variable_a_user_may_set_is_documented() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    variables = re.findall(r"^(\w+) \?=", makefile, re.M)
    assert variables
    for name in variables:
        assert f"| `{name}` |" in DOCS["development.md"]


def test_install_snippets_use_the_projects_venv() -> None:
    for line in re.findall(r"^.*\bpip install\b.*$", EVERYTHING, re.M):
        assert ".venv/bin/pip install" in line, line


def test_shipped_data_records_no_path_of_the_machine_it_was_made_on() -> None:
    root = Path(__file__).resolve().parent.parent
    shipped = [
        *root.glob("rag/**/*.json"),
        *root.glob("rag/**/*.md"),
        *root.glob("eval/baselines/*.json"),
    ]
    assert len(shipped) >= 4
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.~])/(?:tmp|root|home|work|Users|var)/", text), path


def test_every_route_is_documented() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    for path, methods in paths.items():
        for method in methods:
            assert f"`{method.upper()} {path}`" in DOCS["api.md"]


def test_the_framework_snippets_run_against_the_real_app(
    api: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    section = DOCS["clients.md"].split("## Use it from LlamaIndex and LangChain", 1)[1]
    section = section.split("\n## ", 1)[0]
    snippets = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(snippets) == 2
    for snippet in snippets:
        exec(snippet.replace("http://localhost:8000", str(api.base_url).rstrip("/")), {})
    printed = capsys.readouterr().out
    assert "ICARO Media Group | NATO's Lukewarm Response" in printed  # LlamaIndex's sources
    assert "ICARO Media Group 2024-10-17" in printed  # LangChain's documents


def test_the_readme_is_a_five_minute_read() -> None:
    assert len(README.splitlines()) <= README_LINES


def test_every_docs_page_is_on_the_site() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in DOCS:
        assert f": {name}" in config, name


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, list[str], bool]]:
    """Every command (``byline eval run``), its options, and whether it has subcommands."""
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    subcommands = _subcommands(parser)
    yield path, [o for o in options if o not in ("--help", "--verbose")], bool(subcommands)
    for name, sub in subcommands.items():
        yield from _commands(sub, f"{path} {name}")


def test_the_command_table_lists_every_command_with_every_option() -> None:
    rows = {
        m[1]: m[0]
        for m in re.finditer(
            r"^\| `(byline [a-z -]*?)(?: [A-Z\[-].*?)?` \|.*$", DOCS["cli.md"], re.M
        )
    }
    for command, options, is_group in _commands(build_parser(), "byline"):
        if command == "byline" or (is_group and command not in rows):
            continue  # a group such as `byline train`: its commands have the rows
        assert command in rows, command
        for option in options:
            assert option in rows[command], f"{command} {option}"


def code_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(language, code) of each fenced block, fences read in order (an opening fence and a
    closing one look alike to a regular expression)."""
    language, lines = None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, lines = line[3:].strip(), []
            else:
                yield language, "\n".join(lines)
                language = None
        elif language is not None:
            lines.append(line)


def shown_commands() -> Iterator[str]:
    """Every ``byline ...`` command line in a shell block of the README and the docs."""
    for language, block in code_blocks(EVERYTHING):
        if language not in ("", "sh", "bash", "console"):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip().removeprefix("$ ")
            if not COMMAND_LINE.match(line):
                continue
            # A synopsis: optional parts in brackets, {a,b} for a choice, & to run in background.
            line = re.sub(r"\{(\w+),[^}]*\}", r"\1", re.sub(r"\[[^\]]*\](\.\.\.)?", "", line))
            words = [w for w in shlex.split(line, comments=True) if w != "&"]
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                words = words[1:]  # VARIABLE=value before the command
            if words and words[0] in ("byline", ".venv/bin/byline"):
                yield shlex.join(words[1:])


@pytest.mark.parametrize("command", sorted(set(shown_commands())))
def test_every_shown_command_is_one_the_cli_takes(command: str) -> None:
    argv = [w for w in shlex.split(command) if w not in ("...", "…")]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"`byline {command}` is not a command the CLI takes ({exc})")


def test_the_page_size_the_docs_state_is_the_page_size() -> None:
    stated = re.search(r"`rag/api/static/`, about (\d+) KB", DOCS["clients.md"])
    assert stated, "the chat page's size is stated in docs/clients.md"
    size = sum(f.stat().st_size for f in (ROOT / "rag" / "api" / "static").iterdir())
    assert abs(size / 1000 - int(stated[1])) <= 2, f"the page is {size / 1000:.1f} KB"


def test_no_escaped_pipe_reaches_the_rendered_docs(tmp_path: Path) -> None:
    """A `\\|` inside a table's code span is shown as it is written: the built pages must not
    hold one."""
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr
    pages = list(tmp_path.rglob("*.html"))
    assert len(pages) >= len(DOCS)
    for page in pages:
        assert "\\|" not in page.read_text(encoding="utf-8"), page.name


def test_the_docs_site_serves_on_a_port_of_its_own_and_says_how_it_is_installed() -> None:
    site = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    port = int(re.search(r"^dev_addr: [\d.]+:(\d+)$", site, re.M)[1])  # type: ignore[index]
    assert port != Settings().http.port
    for line in EVERYTHING.splitlines():
        if "mkdocs serve" in line:
            assert f":{port}" in line, line
    assert "mkdocs" in DOCS["development.md"] and "'.[test]'" in DOCS["development.md"]


def _slug(heading: str) -> str:
    """The anchor mkdocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


def _sections(text: str) -> set[str]:
    """The anchors of a page's headings (a `#` line inside a code block is no heading)."""
    found, fenced = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(_slug(line.lstrip("#")))
    return found


def test_every_reference_to_a_section_names_one_that_exists() -> None:
    """A link to a page's section (a page name, '#', an anchor) in the README, the docs and the
    code (a test's reason, a docstring): a section that moved or was renamed fails here, not in
    a reader's hands."""
    pages = {"README.md": README, **{f"docs/{name}": text for name, text in DOCS.items()}}
    sections = {path: _sections(text) for path, text in pages.items()}
    sources = {path: text for path, text in pages.items()}
    for folder in ("rag", "ingest", "eval", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            sources[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    checked = 0
    for where, text in sources.items():
        for page, anchor in re.findall(r"((?:docs/)?[\w-]+\.md)#([\w-]+)", text):
            target = page if page in sections else f"docs/{page}"
            if where.startswith("docs/") and not page.startswith("docs/"):
                target = f"docs/{page}"
            assert target in sections, f"{where}: {page} is no page"
            assert anchor in sections[target], f"{where}: {page}#{anchor} is no section"
            checked += 1
    assert checked > 10
