"""The change log of a Chroma server store: how processes on other hosts learn what changed.

On an embedded store every process shares the data dir, so a generation file is enough. With a
Chroma server, API workers and ingest workers may run on different hosts, each with its own data
dir and its own copy of the lexical index. Every ingest flush therefore appends one record to a
small side collection (``<collection>.changes``): the chunk ids it wrote or deleted. A reader
applies the records it has not applied yet by reading those chunks' current state from the
store, so the order in which records arrive does not matter. The record count is the token that
tells readers something changed; records are never deleted.

A record is appended after its writes land, so that no reader reads the chunks too early. A
writer killed between the two would leave readers behind, so it first notes the ids in a
journal file in its data dir; the next ingest from that data dir appends the records that such
files hold before it writes anything.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import store_errors

# A writer whose clock runs behind the reader's by less than this still has its records read.
CLOCK_SKEW_S = 600.0


@dataclass(frozen=True)
class Change:
    id: str
    at: float
    chunk_ids: list[str]


class ChangeLog:
    def __init__(self, collection: Any, data_dir: Path) -> None:
        self._collection = collection
        self._journal = data_dir / "unannounced"

    @contextmanager
    def announcing(self, chunk_ids: Sequence[str]) -> Iterator[None]:
        """Around the writes of these chunks: journal them, then append their record."""
        if not chunk_ids:
            yield
            return
        self._journal.mkdir(parents=True, exist_ok=True)
        entry = self._journal / f"{uuid.uuid4().hex}.json"
        entry.write_text(json.dumps(sorted(chunk_ids)), encoding="utf-8")
        yield
        self.record(chunk_ids)
        entry.unlink(missing_ok=True)  # another writer's start-up may have announced it already

    def announce_unfinished(self) -> int:
        """Append the records of writes that a killed writer left in the journal."""
        entries = sorted(self._journal.glob("*.json")) if self._journal.is_dir() else []
        for entry in entries:
            self.record(json.loads(entry.read_text(encoding="utf-8")))
            entry.unlink(missing_ok=True)  # a writer beside this one may have done it
        return len(entries)

    def record(self, chunk_ids: Sequence[str]) -> None:
        with store_errors("append to the change log"):
            self._collection.add(
                ids=[uuid.uuid4().hex],
                embeddings=[[1.0]],  # Chroma stores no record without a vector; never searched
                documents=[json.dumps(sorted(chunk_ids))],
                metadatas=[{"at": time.time()}],
            )

    def token(self) -> str:
        with store_errors("read the change log"):
            return str(self._collection.count())

    def since(self, at: float | None) -> list[Change]:
        """Records written after ``at`` (less the allowed clock skew; None: all), oldest first."""
        where = None if at is None else {"at": {"$gte": at - CLOCK_SKEW_S}}
        with store_errors("read the change log"):
            got = self._collection.get(where=where, include=["documents", "metadatas"])
        changes = [
            Change(record_id, float(meta["at"]), list(json.loads(document)))
            for record_id, document, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]
        return sorted(changes, key=lambda c: c.at)
