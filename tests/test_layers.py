"""The house's import rules, read from the source: each room imports only rooms below it, never a
sibling, so no package cycle can form (``rag`` and ``ingest`` included).

    rag.settings, rag.errors           0  the base every room may use
    rag.domain                         1  the data model, text, outlets, time phrases
    rag.adapters | rag.render          2  one outside system each; answers as text
    rag.retrieval | ingest | rag.models  3  services over the adapters; the models Byline trains
    rag.answering | rag.catalogue      4  the ask service and its answerers; what is ingested
    rag.wiring                         5  builds the services once
    rag.slack                          6  the Slack bot (no HTTP of its own)
    rag.api                            7  the HTTP app, Slack's signed route included
    rag.cli | rag.integrations         8  the command line; retrievers for LlamaIndex, LangChain
    eval                               9  measures everything; nothing imports it

Delivery (rag.slack, rag.api, rag.cli, rag.integrations) reaches the adapters, ingest and the
models only through services.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "rag.base": 0,
    "rag.domain": 1,
    "rag.adapters": 2,
    "rag.render": 2,
    "rag.retrieval": 3,
    "ingest": 3,
    "rag.models": 3,
    "rag.answering": 4,
    "rag.catalogue": 4,
    "rag.wiring": 5,
    "rag.slack": 6,
    "rag.api": 7,
    "rag.cli": 8,
    "rag.integrations": 8,
    "eval": 9,
}
DELIVERY = {"rag.slack", "rag.api", "rag.cli", "rag.integrations"}
BEHIND_SERVICES = {"rag.adapters", "ingest", "rag.models"}


def room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in ("ingest", "eval"):
        return parts[0]
    if parts[0] != "rag" or len(parts) == 1:
        return None
    if parts[1] in ("settings", "errors", "__init__"):
        return "rag.base"
    return f"rag.{parts[1]}"


def imports() -> list[tuple[str, str, str]]:
    """(file, importing room, imported module) for every absolute import of the packages."""
    found = []
    for package in ("rag", "ingest", "eval"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            source = room(module)
            assert source is not None, module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.append((str(path.relative_to(ROOT)), source, node.module))
                elif isinstance(node, ast.Import):
                    found += [(str(path.relative_to(ROOT)), source, a.name) for a in node.names]
    return found


def test_every_room_is_known() -> None:
    for _, source, target in imports():
        assert source in LAYERS
        assert room(target) is None or room(target) in LAYERS, target


def test_imports_go_down_never_sideways() -> None:
    wrong = []
    for path, source, target in imports():
        to = room(target)
        if to is None or to == source:
            continue
        if LAYERS[to] >= LAYERS[source]:
            wrong.append(f"{path} ({source}) imports {target} ({to}), not below it")
        elif source in DELIVERY and to in BEHIND_SERVICES:
            wrong.append(f"{path} ({source}) reaches past the services: {target}")
    assert not wrong, "\n".join(wrong)


def test_the_rule_sees_a_wrong_import() -> None:
    # The reader is not blind: these imports exist, and a room below never imports them.
    found = {(source, room(target)) for _, source, target in imports()}
    assert ("rag.api", "rag.wiring") in found and ("ingest", "rag.adapters") in found
