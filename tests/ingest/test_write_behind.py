"""The write-behind queue: order kept, a failure raised in the ingesting thread, nothing written
after it."""

from __future__ import annotations

import threading

import pytest

from ingest.write_behind import WriteBehind


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
