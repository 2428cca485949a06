"""How the processes that share one store learn of each other's writes: one interface, two modes.

Embedded (every process on one host shares the data dir): one writer at a time, held by an
exclusive flock; every write replaces a generation token in a file beside the store. Readers
reopen their Chroma client (it keeps the vector index it loaded in memory) and rebuild BM25 when
the token moves. The writer keeps the lexical table itself, in the same data dir.

Server (a Chroma server; API and ingest workers on any host, each with its own data dir): writers
run concurrently; every write is journalled, then announced in the server's change log. A
server client always reads the current index; each host's lexical table is a cache that applies
the change log before it rebuilds.

The store, the lexical index and the ingest writer call these verbs and never ask which mode
they are in.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from rag.adapters.changelog import Change, ChangeLog
from rag.adapters.generation import Generation
from rag.adapters.writelock import WriteLock
from rag.domain.models import Chunk, stable_hash

# On a server store, the change log is read at most this often (one HTTP request each time),
# and whenever the vectors return a chunk that the lexical table does not hold.
CHECK_EVERY_S = 1.0


class LexicalTable(Protocol):
    """What keeping the lexical table level needs of it."""

    def write(self, written: Sequence[Chunk], deleted: Sequence[str]) -> None: ...
    def reconcile(self) -> tuple[int, int]: ...
    def refresh(self, chunk_ids: Sequence[str]) -> None: ...
    def refill(self) -> None: ...
    def applied_changes(self) -> dict[str, float]: ...
    def mark_applied(self, changes: Sequence[Change]) -> None: ...


class StoreSync(ABC):
    mode: str

    @abstractmethod
    def writing(self) -> AbstractContextManager[None]:
        """Hold the store for one write session."""

    @abstractmethod
    def announcing(self, chunk_ids: Sequence[str]) -> AbstractContextManager[None]:
        """Around one batch of writes: afterwards, readers in other processes see them."""

    @abstractmethod
    def token(self, recheck: bool = False) -> str:
        """Differs whenever any process wrote since it was last read."""

    @abstractmethod
    def client_token(self) -> str | None:
        """The token on which a Chroma client must reopen; None: its reads are always current."""

    @abstractmethod
    def lexical_file(self, collection: str) -> str:
        """The lexical table's file name in the data dir."""

    @abstractmethod
    def opened(self, table: LexicalTable) -> tuple[int, int]:
        """On opening: (added, removed) rows that bringing the table level took."""

    @abstractmethod
    def level(self, table: LexicalTable) -> None:
        """Before a reader rebuilds from the table: apply what other hosts wrote."""

    @abstractmethod
    def wrote(self, table: LexicalTable, written: Sequence[Chunk], deleted: Sequence[str]) -> None:
        """After the writer's batch reached the store (inside ``announcing``)."""

    @abstractmethod
    def rewrote(self, table: LexicalTable, chunk_ids: Sequence[str]) -> None:
        """After these chunks' metadata was rewritten in place (an upgrade, inside
        ``announcing``)."""


class EmbeddedSync(StoreSync):
    mode = "embedded"

    def __init__(self, data_dir: Path) -> None:
        self._lock = WriteLock(data_dir)
        self._generation = Generation(data_dir)

    def writing(self) -> AbstractContextManager[None]:
        return self._lock.held()

    @contextmanager
    def announcing(self, chunk_ids: Sequence[str]) -> Iterator[None]:
        try:
            yield
        finally:  # a write that failed half-way changed the store too
            self._generation.bump()

    def token(self, recheck: bool = False) -> str:
        return self._generation.read()  # one small file read: always fresh

    def client_token(self) -> str | None:
        return self.token()

    def lexical_file(self, collection: str) -> str:
        return "lexical.sqlite"

    def opened(self, table: LexicalTable) -> tuple[int, int]:
        # A data dir written before the lexical index existed, or an ingest cut off between
        # the two writes.
        added, removed = table.reconcile()
        if added or removed:
            self._generation.bump()  # other processes' BM25 matrices are now stale
        return added, removed

    def level(self, table: LexicalTable) -> None:
        return None  # the writer keeps the table

    def wrote(self, table: LexicalTable, written: Sequence[Chunk], deleted: Sequence[str]) -> None:
        table.write(written, deleted)

    def rewrote(self, table: LexicalTable, chunk_ids: Sequence[str]) -> None:
        table.refresh(chunk_ids)


class ServerSync(StoreSync):
    mode = "server"

    def __init__(self, changes: ChangeLog, url: str) -> None:
        self._changes = changes
        self._url = url
        self._token, self._token_read = "", -CHECK_EVERY_S

    @contextmanager
    def writing(self) -> Iterator[None]:
        # A server takes concurrent writers; first announce what a killed run left unannounced.
        self._changes.announce_unfinished()
        yield

    def announcing(self, chunk_ids: Sequence[str]) -> AbstractContextManager[None]:
        return self._changes.announcing(chunk_ids)

    def token(self, recheck: bool = False) -> str:
        now = time.monotonic()
        if recheck or now - self._token_read >= CHECK_EVERY_S:
            self._token, self._token_read = self._changes.token(), now
        return self._token

    def client_token(self) -> str | None:
        return None

    def lexical_file(self, collection: str) -> str:
        return f"lexical-{stable_hash(self._url, collection)[:12]}.sqlite"  # one per server

    def opened(self, table: LexicalTable) -> tuple[int, int]:
        return 0, 0  # the cache catches up on first use

    def level(self, table: LexicalTable) -> None:
        """Apply the change log records the table has not seen; on a table that has seen none,
        copy the whole store instead (and count every record as seen)."""
        applied = table.applied_changes()
        if not applied:
            unseen = self._changes.since(None)
            table.refill()
        else:
            unseen = [c for c in self._changes.since(max(applied.values())) if c.id not in applied]
            table.refresh(sorted({i for change in unseen for i in change.chunk_ids}))
        table.mark_applied(unseen)

    def wrote(self, table: LexicalTable, written: Sequence[Chunk], deleted: Sequence[str]) -> None:
        return None  # every host's readers learn of it from the change log

    def rewrote(self, table: LexicalTable, chunk_ids: Sequence[str]) -> None:
        return None  # as for any write: the change log tells every host
