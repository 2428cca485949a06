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
CREATE INDEX IF NOT EXISTS turns_by_time ON turns (at);
CREATE INDEX IF NOT EXISTS events_by_time ON events (seen);
CREATE TABLE IF NOT EXISTS feedback (
    at REAL, team TEXT, channel TEXT, message_ts TEXT, user TEXT, value TEXT, question TEXT
);
"""
MAX_TURNS = 12  # earlier turns of a thread used as history
# Bounds, so that neither table grows with every event and thread ever seen: Slack retries an
# event for minutes, never a day later; a thread's history older than this is not a follow-up.
EVENT_MEMORY_S = 24 * 3600
TURN_MEMORY_S = 30 * 24 * 3600
MAX_STORED_TURNS = 200_000  # all threads together (about 100 MB at the longest answers)


class SlackStore:
    def __init__(self, data_dir: Path, max_stored_turns: int = MAX_STORED_TURNS) -> None:
        self.max_stored_turns = max_stored_turns
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
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM events WHERE seen < ?", (now - EVENT_MEMORY_S,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?)", (team, event_id, now)
            )
            return cursor.rowcount == 1

    def add_turns(self, team: str, channel: str, thread_ts: str, turns: list[Turn]) -> None:
        """Remember a thread's new turns; only its last MAX_TURNS are kept, none older than
        TURN_MEMORY_S, and at most MAX_STORED_TURNS in all (the oldest go first)."""
        now = time.time()
        thread = (team, channel, thread_ts)
        with self._connect() as db:
            db.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                [(*thread, t.role, t.content, now) for t in turns],
            )
            db.execute(
                "DELETE FROM turns WHERE team = ? AND channel = ? AND thread_ts = ?"
                " AND rowid NOT IN (SELECT rowid FROM turns"
                " WHERE team = ? AND channel = ? AND thread_ts = ? ORDER BY rowid DESC LIMIT ?)",
                (*thread, *thread, MAX_TURNS),
            )
            db.execute("DELETE FROM turns WHERE at < ?", (now - TURN_MEMORY_S,))
            db.execute(
                "DELETE FROM turns WHERE rowid <= (SELECT MAX(rowid) FROM turns) - ?",
                (self.max_stored_turns,),
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
