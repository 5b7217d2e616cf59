"""Producing the next batch while the current one is used, on a second thread.

Reading a source (parsing what the database sends) and picking records from
the spill are Arrow and driver work that release the GIL, as are the
mapping, spilling and writing they feed. Running the producer one step ahead
on its own thread lets a two-core machine do both at once. At most `depth`
batches wait, so memory stays bounded.

The producer is used by the prefetch thread only, from its first item to its
end; the consumer must not touch it (or the connection behind it) until
`close()` has returned.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class Prefetch(Generic[T]):
    """Iterates `source` on a thread, `depth` items ahead of the consumer.

    An exception raised by `source` is raised to the consumer where the item
    would have been. `close()` stops the thread (after its current item) and
    waits for it; iterate inside `with` or call `close()` in a `finally`.
    """

    def __init__(self, source: Iterable[T], depth: int = 2) -> None:
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="syncline-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop producing and wait for the thread to let go of the source."""
        self._stop.set()
        while self._thread.is_alive():
            # Make room, so a producer blocked on a full queue sees the stop.
            with suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: BLE001 - the consumer raises it
            self._put(_Failure(error))
            return
        self._put(_END)

    def _put(self, item: object) -> bool:
        """Queue `item` unless stopped; whether the producer should go on."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
