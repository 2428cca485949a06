"""Writing one batch while the next one embeds: a single background writer, bounded.

Embedding is the work of the CPU's matrix units; Chroma's upserts and the lexical table's
inserts are mostly waiting on the store. Handing each embedded batch to one writer thread lets
the next batch embed meanwhile. Batches are written in order; at most ``depth`` wait, so memory
stays bounded whatever the input's size. After a write fails, nothing later is written, and the
error is raised in the ingesting thread at its next submit or at the end; what was written
stays written, exactly as a crash would leave it (the next run completes it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType


class WriteBehind:
    def __init__(self, depth: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="byline-writer")
        self._waiting: deque[Future[None]] = deque()
        self._depth = depth
        self._failed = False

    def submit(self, write: Callable[[], None]) -> None:
        """Queue ``write``; first wait while ``depth`` writes are queued (raising a failure)."""
        while len(self._waiting) >= self._depth:
            self._settle(self._waiting.popleft())
        self._waiting.append(self._pool.submit(self._run, write))

    def drain(self) -> None:
        """Wait for every queued write; raise the first failure."""
        while self._waiting:
            self._settle(self._waiting.popleft())

    def _run(self, write: Callable[[], None]) -> None:
        if self._failed:
            return  # an earlier batch failed: write nothing after it
        try:
            write()
        except BaseException:
            self._failed = True
            raise

    def _settle(self, future: Future[None]) -> None:
        try:
            future.result()
        except BaseException:
            for later in self._waiting:
                later.cancel()
            self._waiting.clear()
            raise

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.drain()
            else:  # already failing: let queued writes finish or stop, and report the first
                self._failed = True
                for future in self._waiting:
                    future.cancel()
        finally:
            self._pool.shutdown(wait=True)
