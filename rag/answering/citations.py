"""Citation hygiene shared by every answerer: an answer leaves the service only with markers that
point at citations, citations that are retrieved passages, numbered 1..n in order of first use."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.domain.models import Citation, Passage

MARKER = re.compile(r"\s?\[(\d{1,3})\]")


def enforce_citations(
    text: str, citations: list[Citation], passages: list[Passage]
) -> tuple[str, list[Citation]]:
    """Drop citations of passages not retrieved and markers that point nowhere; renumber."""
    retrieved = {p.chunk_id for p in passages}
    valid = {c.n: c for c in citations if c.chunk_id in retrieved}
    renumber: dict[int, int] = {}

    def rewrite(match: re.Match[str]) -> str:
        old = int(match.group(1))
        if old not in valid:
            return ""
        new = renumber.setdefault(old, len(renumber) + 1)
        return f" [{new}]" if match.group(0).startswith(" ") else f"[{new}]"

    text = MARKER.sub(rewrite, text)
    kept = [replace(valid[old], n=new) for old, new in renumber.items()]
    return text, kept


def markers_in(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]
