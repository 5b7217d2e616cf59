"""Prefetch: items in order, errors where they happened, a bounded lead, a clean stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from syncline.engine.prefetch import Prefetch


def test_items_arrive_in_order() -> None:
    with Prefetch(range(1000)) as ahead:
        assert list(ahead) == list(range(1000))


def test_an_error_of_the_source_is_raised_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("the source broke")

    seen: list[int] = []
    with Prefetch(failing()) as ahead:
        iterator = iter(ahead)
        seen.append(next(iterator))
        seen.append(next(iterator))
        with pytest.raises(ValueError, match="the source broke"):
            next(iterator)
    assert seen == [1, 2]


def test_the_producer_stays_at_most_depth_ahead_and_stops_on_close() -> None:
    produced: list[int] = []
    threads: set[str] = set()

    def counting() -> Iterator[int]:
        for n in range(1_000_000):
            produced.append(n)
            threads.add(threading.current_thread().name)
            yield n

    ahead = Prefetch(counting(), depth=2)
    iterator = iter(ahead)
    assert next(iterator) == 0
    ahead.close()

    # One taken, two queued, one in hand when the queue was full, then the stop.
    assert len(produced) <= 5
    assert threads == {"syncline-prefetch"}
