"""Prompts are data: versioned files in ``prompts/`` that declare the variables they use.

A prompt file is ``<name>.v<version>.txt``: YAML front matter (``name``, ``version``,
``variables``), then a ``[system]`` and a ``[user]`` section written as ``str.format`` templates.
A variable used but not declared, or declared but not used, is an error when the file is loaded;
rendering with a missing or unknown variable is an error too, so a prompt never goes out with a
hole in it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from rag.errors import PromptError

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.txt$")
_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.M)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    variables: frozenset[str]
    system: str
    user: str

    @property
    def label(self) -> str:
        return f"{self.name}.v{self.version}"

    def render(self, **values: str) -> list[dict[str, str]]:
        """The chat messages, with every declared variable filled in and nothing else."""
        missing = self.variables - values.keys()
        unknown = values.keys() - self.variables
        if missing or unknown:
            raise PromptError(
                f"prompt {self.label}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        return [
            {"role": "system", "content": self.system.format(**values)},
            {"role": "user", "content": self.user.format(**values)},
        ]


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    """The highest version of the named prompt."""
    versions = sorted(
        (int(m["version"]), path)
        for path in directory.glob(f"{name}.v*.txt")
        if (m := _FILE.match(path.name)) and m["name"] == name
    )
    if not versions:
        raise PromptError(f"no prompt named {name!r} in {directory}")
    return parse_prompt(versions[-1][1])


def parse_prompt(path: Path) -> Prompt:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not match:
        raise PromptError(f"{path}: missing the front matter (--- ... ---)")
    try:
        head = yaml.safe_load(match[1])
        name, version = str(head["name"]), int(head["version"])
        declared = frozenset(str(v) for v in head["variables"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise PromptError(
            f"{path}: front matter needs name, version and variables ({exc})"
        ) from exc
    parts = _SECTION.split(match[2])
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if set(sections) != {"system", "user"} or len(parts) != 5:
        raise PromptError(f"{path}: needs exactly one [system] and one [user] section")
    try:
        used = {
            field
            for section in sections.values()
            for _, field, _, _ in string.Formatter().parse(section)
            if field is not None
        }
    except ValueError as exc:
        raise PromptError(f"{path}: {exc}") from exc
    if not all(field.isidentifier() for field in used):
        raise PromptError(f"{path}: variables must be plain names, not {sorted(used)}")
    if used != declared:
        raise PromptError(
            f"{path}: used but not declared {sorted(used - declared)}, "
            f"declared but not used {sorted(declared - used)}"
        )
    return Prompt(name, version, declared, sections["system"], sections["user"])
