"""An iterator of record batches that owns the database connection behind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pyarrow as pa

Fetch = Callable[[], Sequence[Sequence[Any]]]
"""Returns the next chunk of at most batch-size rows; empty when the rows run out."""

ChunkT = TypeVar("ChunkT")


@dataclass(frozen=True)
class Reading(Generic[ChunkT]):
    """How the result of one running statement becomes record batches.

    `fetch` returns the next chunk of at most batch-size rows (row tuples,
    or the database's own bulk format) and something false (an empty list,
    None) when the rows run out; `convert` turns one chunk into a record
    batch. `interrupt`, when given, stops the statement on the server; the
    stream calls it before closing the connection of a reading that did not
    run out, so an abandoned statement does not run on.
    """

    fetch: Callable[[], ChunkT | None]
    convert: Callable[[ChunkT], pa.RecordBatch]
    interrupt: Callable[[], None] | None = None


class BatchStream(Generic[ChunkT]):
    """Record batches fetched chunk by chunk from a running statement.

    The stream closes its connection exactly once: when the rows run out,
    when fetching or converting a chunk fails, or when the stream itself is
    garbage collected. The last case is what releases the connection of a
    reader dropped before its end: pyarrow's `RecordBatchReader.close()`
    does not let go of the Python iterator behind `from_batches`, dropping
    the reader does.
    """

    def __init__(
        self,
        reading: Reading[ChunkT],
        close: Callable[[], None],
        guard: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._reading = reading
        self._close = close
        self._guard = guard
        self._closed = False
        self._exhausted = False

    def __iter__(self) -> BatchStream[ChunkT]:
        return self

    def __next__(self) -> pa.RecordBatch:
        if self._closed:
            raise StopIteration
        try:
            with self._guard():
                chunk = self._reading.fetch()
            if not chunk:
                self._exhausted = True
                raise StopIteration
            return self._reading.convert(chunk)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop a statement still running, release the connection; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._exhausted and self._reading.interrupt is not None:
                # Best effort: the connection closes next whatever happens here.
                with suppress(Exception):
                    self._reading.interrupt()
        finally:
            self._close()

    def __del__(self) -> None:
        self.close()
