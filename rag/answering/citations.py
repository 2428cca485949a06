"""The one grammar of citation markers, for every answerer, renderer and measurement.

A marker is ``[3]`` or ``[1, 2]``; some models write ``【1】``. Byline's own answers only ever
carry ``[n]`` (the citation check rewrites whatever the model wrote).
"""

from __future__ import annotations

import re

# Group 1: the numbers, comma-separated.
MARKER_GRAMMAR = r"[\[【](\d{1,3}(?:\s*,\s*\d{1,3})*)[\]】]"
MARKER = re.compile(MARKER_GRAMMAR)
_SPACED_MARKER = re.compile(rf"\s*{MARKER_GRAMMAR}")


def numbers_of(match: re.Match[str]) -> list[int]:
    return [int(n) for n in match[1].split(",")]


def markers_in(text: str) -> list[int]:
    """Every number cited in ``text``, in order (repeats kept)."""
    return [n for match in MARKER.finditer(text) for n in numbers_of(match)]


def without_markers(text: str) -> str:
    return _SPACED_MARKER.sub("", text).strip()
