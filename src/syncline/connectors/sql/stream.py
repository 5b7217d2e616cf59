"""An iterator of record batches that owns the database connection behind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pyarrow as pa

Fetch = Callable[[], Sequence[Sequence[Any]]]
"""Returns the next chunk of at most batch-size rows; empty when the rows run out."""


class BatchStream:
    """Record batches fetched chunk by chunk from an open cursor.

    The stream closes its connection exactly once: when the rows run out,
    when fetching or converting a chunk fails, or when the stream itself is
    garbage collected. The last case is what releases the connection of a
    reader dropped before its end: pyarrow's `RecordBatchReader.close()`
    does not let go of the Python iterator behind `from_batches`, dropping
    the reader does.
    """

    def __init__(
        self,
        fetch: Fetch,
        convert: Callable[[Sequence[Sequence[Any]]], pa.RecordBatch],
        close: Callable[[], None],
        guard: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._fetch = fetch
        self._convert = convert
        self._close = close
        self._guard = guard
        self._closed = False

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> pa.RecordBatch:
        if self._closed:
            raise StopIteration
        try:
            with self._guard():
                rows = self._fetch()
            if not rows:
                raise StopIteration
            return self._convert(rows)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the connection; later calls do nothing."""
        if not self._closed:
            self._closed = True
            self._close()

    def __del__(self) -> None:
        self.close()
