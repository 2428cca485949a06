"""Helpers every eval shares: reading question files and the small statistics."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def load_jsonl(path: Path, build: Callable[[dict[str, Any]], T], what: str) -> list[T]:
    """One ``build(record)`` per non-blank line; a bad line fails with its path and number."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(build(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not {what} ({exc})") from exc
    return items


def share(part: int, whole: int, digits: int = 4) -> float:
    return round(part / whole, digits) if whole else 0.0


def p50_p95(values: list[float]) -> tuple[float, float]:
    """Median and nearest-rank 95th percentile of a non-empty list, to 0.1."""
    return round(statistics.median(values), 1), round(percentile(values, 0.95), 1)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
