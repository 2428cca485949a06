"""Keeping the embedding model busy: the work around it runs beside it, bounded.

Embedding is the work of the CPU's matrix units. Reading and chunking the next articles and
looking up what the store holds of them (:func:`ahead`), and writing the last batch to Chroma
and the lexical table (:class:`WriteBehind`), run on one thread each while the ingesting thread
embeds. Both keep order and hold at most ``depth`` items, so memory stays bounded whatever the
input's size. An error on either side is raised in the ingesting thread; after a write fails,
nothing later is written, and what was written stays written, exactly as a crash would leave it
(the next run completes it).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")
_END = object()


def ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced on a thread of their own up to ``depth`` ahead of the consumer."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Queue ``item`` once there is room; False when the consumer has stopped."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))

    producer = threading.Thread(target=produce, name="byline-planner", daemon=True)
    producer.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()  # the consumer stopped early or failed: the producer stops at its next item
        producer.join()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


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
