"""One writer per embedded data dir: an exclusive ``flock`` on ``<data dir>/write.lock``.

Two ``byline ingest`` runs writing one embedded Chroma store at once would corrupt its index, so
the second one fails at once with a clear message naming the holder. The kernel drops the lock
when its process dies, even by SIGKILL, so a crashed ingest never leaves the data dir locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import StoreBusy

_held: set[Path] = set()  # data dirs this process holds: nested use (CLI, then ingest) is fine


@contextmanager
def exclusive_writer(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / "write.lock").resolve()
    if path in _held:
        yield
        return
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreBusy(
                f"another ingest ({holder}) is writing to {data_dir}; wait for it to finish "
                "(one writer per embedded store)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
