"""`byline eval dates` lists the windows read into questions, by kind, for a person to read."""

from __future__ import annotations

import json
from pathlib import Path

from eval.dates import format_dates, run_dates_eval


def test_the_readings_are_counted_and_the_calendar_days_listed(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"question": "What did NATO say this week?", "question_date": "2024-10-20"},
        {"question": "What happened on Oct. 17?", "question_date": "2024-10-20"},
        {"question": "Who makes the iPhone 16?", "question_date": "2024-10-20"},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = run_dates_eval(questions)
    assert (report.questions, report.windows) == (3, 2)
    assert [r.phrase for r in report.calendar_days] == ["on Oct. 17"]
    assert report.without_a_time_word == []
    assert "2 of 3 questions get a time window" in format_dates(report)
