"""One writer per embedded data dir: an exclusive ``flock`` on ``<data dir>/write.lock``.

Two ``byline ingest`` runs writing one embedded Chroma store at once would corrupt its index, so
the second one fails at once with a clear message naming the holder. The kernel drops the lock
when its process dies, even by SIGKILL, so a crashed ingest never leaves the data dir locked.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from rag.errors import StoreBusy


class WriteLock:
    """The lock of one data dir. The thread that holds it may enter it again (the command line
    takes it before the model loads, so that a second writer fails in a moment; the ingest run
    then enters it too); other threads of this process wait their turn; other processes fail."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._depth = 0
        self._turn = threading.RLock()
        self._handle: IO[str] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._turn:
            if self._depth == 0:
                self._handle = self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._handle is not None:
                    self._release(self._handle)
                    self._handle = None

    def _acquire(self) -> IO[str]:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        handle = (self._data_dir / "write.lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreBusy(
                f"another ingest ({holder}) is writing to {self._data_dir}; wait for it to finish "
                "(one writer per embedded store)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        return handle

    @staticmethod
    def _release(handle: IO[str]) -> None:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def exclusive_writer(data_dir: Path) -> AbstractContextManager[None]:
    """Hold ``data_dir`` for writing (a lock of its own: another holder in this process is
    another writer)."""
    return WriteLock(data_dir).held()
