"""What the bot remembers, in ``<data dir>/slack.sqlite`` (shared safely by several workers).

- ``events``: every (team, event id) answered once: Slack's retries of an event are claimed
  already and dropped, whichever worker they reach.
- ``turns``: the questions asked and answers given in each thread, the history of a follow-up.
- ``feedback``: the helpful / not helpful clicks, for ``byline feedback export``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.answering.followup import Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    team TEXT, event_id TEXT, seen REAL, PRIMARY KEY (team, event_id)
);
CREATE TABLE IF NOT EXISTS turns (
    team TEXT, channel TEXT, thread_ts TEXT, role TEXT, content TEXT, at REAL
);
CREATE INDEX IF NOT EXISTS turns_by_thread ON turns (team, channel, thread_ts);
CREATE TABLE IF NOT EXISTS feedback (
    at REAL, team TEXT, channel TEXT, message_ts TEXT, user TEXT, value TEXT, question TEXT
);
"""
MAX_TURNS = 12  # earlier turns of a thread used as history


class SlackStore:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._path = data_dir / "slack.sqlite"
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def claim_event(self, team: str, event_id: str) -> bool:
        """True for the first delivery of an event, False for every retry of it."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?)", (team, event_id, time.time())
            )
            return cursor.rowcount == 1

    def add_turns(self, team: str, channel: str, thread_ts: str, turns: list[Turn]) -> None:
        with self._connect() as db:
            db.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                [(team, channel, thread_ts, t.role, t.content, time.time()) for t in turns],
            )

    def turns(self, team: str, channel: str, thread_ts: str) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT role, content FROM turns WHERE team = ? AND channel = ? AND thread_ts = ?"
                " ORDER BY rowid DESC LIMIT ?",
                (team, channel, thread_ts, MAX_TURNS),
            ).fetchall()
        return [Turn(role, content) for role, content in reversed(rows)]

    def add_feedback(self, **row: str) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    row["team"],
                    row["channel"],
                    row["message_ts"],
                    row["user"],
                    row["value"],
                    row["question"],
                ),
            )

    def feedback(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY at")]
