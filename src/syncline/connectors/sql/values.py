"""Arrow record batches into rows of driver values, or into CSV text.

Each column is turned into Python values by Arrow (`to_pylist`: ints,
floats, `Decimal`, aware `datetime` for zoned timestamps, `date`, `bytes`,
lists, dicts); a dialect then converts what its driver or column cannot take
as is (lists to JSON text, datetimes to UTC text for SQLite, ...), choosing
one converter per column so values are not inspected one by one.

Bulk loads skip Python values altogether: Arrow writes the batch as CSV
(`csv_data`), and `arrow_loadable` says for which columns the database
reads that text as the same value the driver's own text gives.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from syncline.connectors.sql.arrow import format_duration
from syncline.connectors.sql.types import TypeMapping, parse_type_name
from syncline.connectors.vocabulary import FieldType

Converter = Callable[[Any], Any]
"""Converts one non-null value; None values are never passed to it."""


def batch_rows(
    batch: pa.RecordBatch, names: Sequence[str], converters: Sequence[Converter | None]
) -> list[tuple[Any, ...]]:
    """The rows of `batch` as tuples of its `names` columns, converted.

    Raises `ValueError` naming a column the batch does not carry.
    """
    missing = [name for name in names if batch.schema.get_field_index(name) < 0]
    if missing:
        raise ValueError(f"the batch has no column {missing[0]!r}")
    columns: list[list[Any]] = []
    for name, convert in zip(names, converters, strict=True):
        values = batch.column(name).to_pylist()
        if convert is not None:
            values = [None if value is None else convert(value) for value in values]
        columns.append(values)
    if not columns:
        return [() for _ in range(batch.num_rows)]
    return list(zip(*columns, strict=True))


def arrow_loadable(arrow_type: pa.DataType, column: TypeMapping, type_name: str) -> bool:
    """Whether Arrow's CSV text of `arrow_type` values, read by a column of
    `type_name` (mapped to `column`), stores what the driver's text does.

    Text, integers and booleans (which the dialect renders as its driver
    does) are the same text, so any column takes them alike. Arrow spells
    floats, decimals, dates, times and instants differently from the
    drivers (`1e-7` for `1e-07`, `.000000Z` for `+00:00`), which is the same
    value only in a column holding that kind of value: floats in float or
    fixed-scale decimal columns (an unconstrained `numeric` keeps the
    digits as written), decimals in non-integer number columns, dates and
    instants in date and time-stamp columns, times in time columns.
    Nanoseconds, binary data, durations, lists and objects are never
    loaded from CSV.
    """
    t = pa.types
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return True
    if t.is_integer(arrow_type) or t.is_boolean(arrow_type):
        return True
    field_type, column_arrow = column
    if t.is_floating(arrow_type):
        return bool(t.is_floating(column_arrow) or t.is_decimal(column_arrow))
    if t.is_decimal(arrow_type):
        return bool(
            arrow_type.scale >= 0
            and field_type is FieldType.NUMBER
            and not t.is_integer(column_arrow)
        )
    if t.is_timestamp(arrow_type):
        return arrow_type.unit != "ns" and field_type is FieldType.DATETIME
    if t.is_date(arrow_type):
        return field_type is FieldType.DATETIME
    if t.is_time(arrow_type):
        base = parse_type_name(type_name).base
        return arrow_type.unit != "ns" and base in _TIME_TYPES
    return False


_TIME_TYPES = frozenset({"time", "time without time zone", "time with time zone"})


def csv_data(arrays: Sequence[pa.Array], null: str) -> pa.Buffer:
    """`arrays` as the lines of a CSV text without header, in UTF-8.

    Every value is quoted (quotes inside doubled) and NULL is `null`
    unquoted, so NULL and the empty string stay apart. Floats are written in
    their shortest exact form, decimals with their scale's digits, instants
    as `2024-01-15 09:30:00.000000Z` (an offset for other zones).
    """
    batch = pa.RecordBatch.from_arrays(list(arrays), names=[f"c{i}" for i in range(len(arrays))])
    sink = pa.BufferOutputStream()
    options = pcsv.WriteOptions(
        include_header=False, quoting_style="all_valid", null_string=null, batch_size=8192
    )
    pcsv.write_csv(batch, sink, options)
    return sink.getvalue()


SLICE_ROWS = 4096
"""Rows encoded and sent at a time by bulk loads: the server reads one slice while
the next is encoded (PostgreSQL: a million rows in 2.8 s instead of 3.15 s whole)."""


def csv_pieces(arrays: Sequence[pa.Array], null: str) -> Iterator[memoryview]:
    """`csv_data` of `arrays`, `SLICE_ROWS` rows a piece."""
    rows = len(arrays[0]) if arrays else 0
    for start in range(0, rows, SLICE_ROWS):
        yield memoryview(csv_data([array.slice(start, SLICE_ROWS) for array in arrays], null))


def is_nested(arrow_type: pa.DataType) -> bool:
    """Whether values of `arrow_type` are lists or objects (written as JSON)."""
    types = pa.types
    return bool(
        types.is_list(arrow_type)
        or types.is_large_list(arrow_type)
        or types.is_fixed_size_list(arrow_type)
        or types.is_struct(arrow_type)
        or types.is_map(arrow_type)
    )


def json_text(value: Any) -> str:
    """A list or object as JSON text; dates, decimals and bytes as JSON strings."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one unchanged."""
    return value if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_naive(value: dt.datetime) -> dt.datetime:
    """A datetime as naive UTC wall time (for drivers that drop the offset)."""
    return utc(value).replace(tzinfo=None)


def iso_text(value: Any) -> Any:
    """Dates, times and datetimes (in UTC) as ISO-8601 text; durations as
    `HH:MM:SS`; anything else unchanged."""
    if isinstance(value, dt.datetime):
        return utc(value).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    return value
