"""Rows from a DB-API cursor into Arrow record batches, column by column.

Each column is first handed to Arrow as the driver returned it (the fast path
for ints, floats, strings, dates, decimals); only when Arrow refuses are the
values converted one by one (JSON objects to JSON text, UUIDs and other
objects to text, MySQL BIT bytes to ints, durations to `HH:MM:SS`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from syncline.connectors.base import Field
from syncline.connectors.vocabulary import FieldType
from syncline.errors import ConnectorError

Converter = Callable[[Any], Any]

_CONVERSION_ERRORS = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    TypeError,
    ValueError,
    ArithmeticError,
)


def arrow_schema(fields: Sequence[Field]) -> pa.Schema:
    """The Arrow schema of a source's fields (every Arrow field nullable)."""
    return pa.schema([pa.field(f.name, f.arrow_type) for f in fields])


def rows_to_batch(
    rows: Sequence[Sequence[Any]], fields: Sequence[Field], schema: pa.Schema
) -> pa.RecordBatch:
    """Convert row tuples to one record batch of `schema`.

    Raises `ConnectorError` naming the column when a value cannot be
    represented in its column's Arrow type.
    """
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    arrays = [to_array(values, f) for values, f in zip(columns, fields, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def to_array(values: Sequence[Any], field: Field) -> pa.Array:
    """One column's values as an Arrow array of `field.arrow_type`."""
    try:
        return pa.array(values, type=field.arrow_type)
    except _CONVERSION_ERRORS:
        pass
    convert = converter(field.arrow_type, field.type)
    try:
        return pa.array(
            [None if value is None else convert(value) for value in values],
            type=field.arrow_type,
        )
    except _CONVERSION_ERRORS as exc:
        raise ConnectorError(
            f"column {field.name!r} ({field.remote_type}): a value cannot be read as "
            f"{field.arrow_type}: {exc}"
        ) from None


def converter(arrow_type: pa.DataType, field_type: FieldType) -> Converter:
    """The per-value conversion for values Arrow does not take as they are."""
    types = pa.types
    if types.is_string(arrow_type) or types.is_large_string(arrow_type):
        return to_json_text if field_type is FieldType.OBJECT else to_text
    if types.is_boolean(arrow_type):
        return _to_bool
    if types.is_integer(arrow_type):
        return _to_int
    if types.is_floating(arrow_type):
        return _to_float
    if types.is_decimal(arrow_type):
        return _to_decimal
    if types.is_binary(arrow_type) or types.is_large_binary(arrow_type):
        return _to_bytes
    if types.is_list(arrow_type) or types.is_large_list(arrow_type):
        element = converter(arrow_type.value_type, FieldType.UNKNOWN)
        return lambda items: [None if item is None else element(item) for item in items]
    return _unchanged


def to_text(value: Any) -> Any:
    """Text for a string column: JSON for containers, `HH:MM:SS` for durations."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8")
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    return str(value)


def to_json_text(value: Any) -> Any:
    """JSON text for an object column; a string is taken to be JSON text already."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8")
    return json.dumps(value)


def format_duration(value: dt.timedelta) -> str:
    """A duration as `[-]HH:MM:SS[.ffffff]` (hours may exceed 24)."""
    micros = abs(value) // dt.timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    sign = "-" if value < dt.timedelta(0) else ""
    text = f"{sign}{hours:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


def _to_bool(value: Any) -> Any:
    if isinstance(value, bytes):
        return int.from_bytes(value, "big") != 0
    if isinstance(value, int | decimal.Decimal):
        return bool(value)
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | int):
        return float(value)
    return value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, float | str):
        return decimal.Decimal(str(value))
    return value


def _to_bytes(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def _unchanged(value: Any) -> Any:
    return value
