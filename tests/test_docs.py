"""The README documents every setting, command and route, and its framework snippets run
(checked, so it cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from rag.api.app import create_app
from rag.cli import build_parser
from rag.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings().flat(secrets=True)))
def test_every_setting_is_in_the_configuration_table(name: str) -> None:
    assert f"| `BYLINE_{name.upper()}` |" in README


def test_every_command_is_documented() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"`byline {name}" in README


def test_every_makefile_variable_a_user_may_set_is_documented() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    variables = re.findall(r"^(\w+) \?=", makefile, re.M)
    assert variables
    for name in variables:
        assert f"| `{name}` |" in README


def test_install_snippets_use_the_projects_venv() -> None:
    for line in re.findall(r"^.*\bpip install\b.*$", README, re.M):
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
            assert f"`{method.upper()} {path}`" in README


def test_the_framework_snippets_run_against_the_real_app(
    api: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.split("## Use it from LlamaIndex and LangChain", 1)[1].split("\n## ", 1)[0]
    snippets = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(snippets) == 2
    for snippet in snippets:
        exec(snippet.replace("http://localhost:8000", str(api.base_url).rstrip("/")), {})
    printed = capsys.readouterr().out
    assert "ICARO Media Group | NATO's Lukewarm Response" in printed  # LlamaIndex's sources
    assert "ICARO Media Group 2024-10-17" in printed  # LangChain's documents
