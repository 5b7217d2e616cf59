"""Rows of the spilled model fetched by sequence number, in order, in even batches.

The spill is written in reading order and numbered by `SEQ`; DuckDB answers
"which records" with an ascending stream of those numbers. Walking both
streams side by side fetches the rows while holding about one batch of
each, and regrouping the matches keeps writer batches full even when few
records changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SEQ = "__syncline_seq"
"""The engine column numbering spilled records in the order they were read."""


def pick(
    model_path: Path, wanted: pa.RecordBatchReader, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The spilled records whose `SEQ` is in `wanted` (ascending), re-batched to `batch_size`.

    The spill is in `SEQ` order, so one pass over both streams side by side
    finds every wanted row while holding about one batch of each.
    """
    cursor = _Ascending(wanted)
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    # Without pre-buffering and threads the reader holds one row group, not a window of them.
    spill = pq.ParquetFile(model_path, pre_buffer=False)
    for batch in spill.iter_batches(batch_size=batch_size, use_threads=False):
        if cursor.exhausted:
            break
        sequence = batch.column(SEQ)
        through = cursor.take_through(sequence[len(sequence) - 1].as_py())
        if len(through) == batch.num_rows:
            # The batch's numbers are contiguous, so all of them are wanted: no copy needed.
            pending.append(batch)
        elif len(through):
            pending.append(batch.filter(pc.is_in(sequence, value_set=through)))
        pending_rows += batch.num_rows if len(through) == batch.num_rows else len(through)
        while pending_rows >= batch_size:
            joined = pending[0] if len(pending) == 1 else pa.concat_batches(pending)
            yield joined.slice(0, batch_size)
            rest = joined.slice(batch_size)
            pending, pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
    if pending_rows:
        yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)


class _Ascending:
    """Reads an ascending stream of sequence numbers up to a bound at a time."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self._reader = reader
        self._buffer: pa.Array = pa.array([], pa.int64())
        self._done = False

    @property
    def exhausted(self) -> bool:
        return self._done and not len(self._buffer)

    def take_through(self, bound: int) -> pa.Array:
        """Every remaining number up to `bound`, inclusive."""
        chunks = []
        while True:
            if len(self._buffer) and self._buffer[len(self._buffer) - 1].as_py() > bound:
                split = int(pc.sum(pc.less_equal(self._buffer, bound)).as_py() or 0)
                chunks.append(self._buffer.slice(0, split))
                self._buffer = self._buffer.slice(split)
                break
            chunks.append(self._buffer)
            self._buffer = pa.array([], pa.int64())
            if self._done:
                break
            try:
                self._buffer = self._reader.read_next_batch().column(0).cast(pa.int64())
            except StopIteration:
                self._done = True
        return pa.concat_arrays(chunks)
