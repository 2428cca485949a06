"""The README documents every setting, command and route (checked, so it cannot drift)."""

from __future__ import annotations

from pathlib import Path

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


def test_every_route_is_documented() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    for path, methods in paths.items():
        for method in methods:
            assert f"`{method.upper()} {path}`" in README
