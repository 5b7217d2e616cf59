"""Arrow record batches into rows of driver values.

Each column is turned into Python values by Arrow (`to_pylist`: ints,
floats, `Decimal`, aware `datetime` for zoned timestamps, `date`, `bytes`,
lists, dicts); a dialect then converts what its driver or column cannot take
as is (lists to JSON text, datetimes to UTC text for SQLite, ...), choosing
one converter per column so values are not inspected one by one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from syncline.connectors.sql.arrow import format_duration

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
