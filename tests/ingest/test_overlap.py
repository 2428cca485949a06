"""The write-behind queue: order kept, a failure raised in the ingesting thread, nothing written
after it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ingest.overlap import WriteBehind, ahead


def test_writes_run_in_order_on_one_other_thread() -> None:
    done: list[tuple[int, str]] = []
    with WriteBehind(depth=2) as behind:
        for i in range(20):
            behind.submit(lambda i=i: done.append((i, threading.current_thread().name)))
    assert [i for i, _ in done] == list(range(20))
    assert {name for _, name in done} != {threading.current_thread().name}
    assert len({name for _, name in done}) == 1


def test_a_failed_write_is_raised_and_nothing_after_it_is_written() -> None:
    done: list[int] = []

    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), WriteBehind(depth=1) as behind:
        behind.submit(lambda: done.append(1))
        behind.submit(fail)
        for i in range(2, 10):
            behind.submit(lambda i=i: done.append(i))
    assert done == [1]


def test_items_ahead_keep_their_order_and_their_producers_error() -> None:
    assert list(ahead(iter(range(50)), depth=2)) == list(range(50))

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad record")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad record"):
        for item in ahead(broken()):
            got.append(item)
    assert got == [1]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    for item in ahead(endless(), depth=2):
        if item == 3:
            break
    assert len(produced) <= 3 + 1 + 2 + 1  # what it took, a queue's worth, and one in hand
