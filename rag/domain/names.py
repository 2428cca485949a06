"""Named entities as the store keeps them: each chunk's names, read once at ingest.

A chunk's names are its spans with their type, ``(start, end, label)`` over the chunk's text,
kept in Chroma's metadata as one compact JSON field (``names``) so that every host's lexical
table fills from the store without tagging again. The labels are spaCy's OntoNotes types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

# The field in a chunk's metadata; a chunk written before names were read has none.
FIELD = "names"

Span = tuple[int, int, str]  # start, end (characters of the chunk's text), label


@dataclass(frozen=True)
class Name:
    """A name as a sentence holds it: its text and type."""

    text: str
    label: str


def encode(spans: Sequence[Span]) -> str:
    return json.dumps([list(s) for s in spans], separators=(",", ":"))


def decode(field: object) -> tuple[Span, ...] | None:
    """The spans of a metadata value; None where the chunk was never tagged (or the value is
    not ours)."""
    if not isinstance(field, str):
        return None
    try:
        rows = json.loads(field)
        return tuple((int(a), int(b), str(label)) for a, b, label in rows)
    except (ValueError, TypeError):
        return None


def by_sentence(
    sentences: Sequence[str], text: str, spans: Sequence[Span]
) -> list[tuple[Name, ...]]:
    """The chunk's names that each of its sentences (in order) holds, each once. A sentence is
    found in the text from where the last one ended; one that was rewritten when read (an
    instruction taken out) takes the names whose text it holds as whole words."""
    held: list[tuple[Name, ...]] = []
    cursor = 0
    for sentence in sentences:
        at = text.find(sentence, cursor)
        if at >= 0:
            cursor = at + len(sentence)
            inside = [(text[a:b], label) for a, b, label in spans if a >= at and b <= cursor]
        else:
            inside = [
                (text[a:b], label)
                for a, b, label in spans
                if re.search(rf"(?<!\w){re.escape(text[a:b])}(?!\w)", sentence)
            ]
        held.append(tuple(Name(n, label) for n, label in dict.fromkeys(inside) if n))
    return held
