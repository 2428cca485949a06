from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.prompts import load_prompt, parse_prompt
from rag.errors import PromptError

GOOD = (
    "---\nname: greet\nversion: {v}\nvariables: [name]\n---\n"
    "[system]\nBe brief.\n[user]\nHi {{name}}\n"
)


def write(folder: Path, filename: str, text: str) -> Path:
    path = folder / filename
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_prompts_load_and_render() -> None:
    answer = load_prompt("answer")
    assert answer.label == "answer.v1"
    assert answer.variables == {"as_of", "decline", "passages", "question"}
    system, user = answer.render(as_of="Monday", decline="No.", passages="P", question="Q?")
    assert "untrusted" in system["content"] and "No." in system["content"]
    assert "<passages>\nP\n</passages>" in user["content"] and "Question: Q?" in user["content"]
    assert load_prompt("condense").variables == {"history", "question"}


def test_the_highest_version_wins(tmp_path: Path) -> None:
    write(tmp_path, "greet.v1.txt", GOOD.format(v=1))
    write(tmp_path, "greet.v2.txt", GOOD.format(v=2))
    assert load_prompt("greet", tmp_path).version == 2


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (GOOD.format(v=1).replace("Hi {name}", "Hi {name} {place}"), "not declared ['place']"),
        (GOOD.format(v=1).replace("[name]", "[name, place]"), "not used ['place']"),
        (GOOD.format(v=1).replace("[user]\n", ""), "one [user]"),
        ("[system]\nx\n[user]\ny\n", "front matter"),
        (GOOD.format(v=1).replace("version: 1\n", ""), "front matter"),
    ],
)
def test_a_broken_prompt_fails_at_load_time(tmp_path: Path, text: str, complaint: str) -> None:
    with pytest.raises(PromptError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        parse_prompt(write(tmp_path, "greet.v1.txt", text))


def test_rendering_needs_exactly_the_declared_variables(tmp_path: Path) -> None:
    prompt = parse_prompt(write(tmp_path, "greet.v1.txt", GOOD.format(v=1)))
    assert prompt.render(name="Ada")[1]["content"] == "Hi Ada"
    with pytest.raises(PromptError, match="missing"):
        prompt.render()
    with pytest.raises(PromptError, match="unknown"):
        prompt.render(name="Ada", extra="x")
