"""`byline eval dates`: the time windows read into the training questions, to count the false
ones (a window read into a question that names no time).

Every question of ``realtimeqa-train/questions.jsonl`` is read as of its own date; the command
prints how many get a window, by the kind of phrase, and each calendar-date reading with its
question, so that a person can read them (the count of false readings is theirs to make; the
phrases that name a day, a month or a relative time are listed apart from the rest).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.domain.timeparse import MONTH_WORDS, WEEKDAYS, time_window

# A phrase that names a time by itself: a digit, a month, a weekday, or a relative time word.
_NAMES_A_TIME = re.compile(
    rf"\d|\b(?:{MONTH_WORDS})\b|\b(?:{'|'.join(WEEKDAYS)})\b|\b(?:today|tonight|yesterday|"
    r"week|weekend|month|year|morning|ago)\b",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    question: str
    phrase: str


@dataclass(frozen=True)
class DatesReport:
    questions: int
    windows: int
    by_phrase: dict[str, int]  # the phrases read, folded, with their counts
    without_a_time_word: list[Reading]  # readings whose phrase names no time by itself
    calendar_days: list[Reading]  # readings of a written calendar day, to read by eye


def run_dates_eval(questions: Path) -> DatesReport:
    readings: list[Reading] = []
    total = 0
    with questions.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            total += 1
            asked = str(row.get("question_date") or "")[:10]
            as_of = (
                datetime.fromisoformat(asked).replace(tzinfo=UTC)
                if asked
                else datetime(2024, 1, 1, tzinfo=UTC)
            )
            window = time_window(str(row["question"]), as_of)
            if window is not None:
                readings.append(Reading(str(row["question"]), window.phrase))
    by_phrase = Counter(" ".join(r.phrase.lower().split()) for r in readings)
    return DatesReport(
        total,
        len(readings),
        dict(by_phrase.most_common()),
        [r for r in readings if not _NAMES_A_TIME.search(r.phrase)],
        [
            r
            for r in readings
            if re.search(r"\d", r.phrase) and not re.search(r"\bin \d{4}", r.phrase)
        ],
    )


def format_dates(report: DatesReport) -> str:
    lines = [
        f"{report.windows} of {report.questions} questions get a time window"
        f" ({report.windows / max(1, report.questions):.1%})",
        f"phrases naming no time by themselves: {len(report.without_a_time_word)}",
        *(f"  {r.phrase!r}: {r.question}" for r in report.without_a_time_word),
        f"calendar days read (read these by eye): {len(report.calendar_days)}",
        *(f"  {r.phrase!r}: {r.question}" for r in report.calendar_days),
        "phrases: " + ", ".join(f"{p} {n}" for p, n in list(report.by_phrase.items())[:20]),
    ]
    return "\n".join(lines)
