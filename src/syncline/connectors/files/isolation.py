"""Finding the records of a batch whose values a file cannot hold, by bisection.

Encoding a whole batch at once is the fast path. When it fails, the batch is
split in halves until each failure is pinned to one record; the other
records are encoded and land. A batch with k bad records costs about
k * log2(batch size) extra encodings instead of one per record.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from syncline.connectors.files.storage import ROW, Unrepresentable


def isolate(
    table: pa.Table, encode: Callable[[pa.Table], pa.Table]
) -> tuple[list[pa.Table], dict[int, str]]:
    """Encode every record of `table` that can be encoded.

    Returns the encoded parts, in the records' order, and for each record
    that cannot be encoded its `ROW` value and the reason. Exceptions other
    than `Unrepresentable` (the target itself failing) propagate.
    """
    try:
        return [encode(table)], {}
    except Unrepresentable as exc:
        if exc.every_row or table.num_rows <= 1:
            rows = table.column(ROW).to_pylist()
            return [], dict.fromkeys(rows, exc.message)
    half = table.num_rows // 2
    left, left_rejected = isolate(table.slice(0, half), encode)
    right, right_rejected = isolate(table.slice(half), encode)
    return left + right, {**left_rejected, **right_rejected}
