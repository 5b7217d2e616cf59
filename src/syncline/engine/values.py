"""Plain values (from a sync's configuration) turned into Arrow values of a column's type.

Filters, overrides and fixed values are configured as JSON scalars: strings,
numbers and booleans, with dates and datetimes written as ISO-8601 strings.
This module is the one place that decides how such a value becomes an Arrow
scalar of a given type, and how an instant is read from text (in UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt


def is_temporal(type_: pa.DataType) -> bool:
    """Whether values of `type_` are dates or instants."""
    return bool(pt.is_timestamp(type_) or pt.is_date(type_))


def is_numeric(type_: pa.DataType) -> bool:
    """Whether values of `type_` are numbers."""
    return bool(pt.is_integer(type_) or pt.is_floating(type_) or pt.is_decimal(type_))


def is_text(type_: pa.DataType) -> bool:
    """Whether values of `type_` are strings."""
    return bool(pt.is_string(type_) or pt.is_large_string(type_) or pt.is_string_view(type_))


def shown(value: Any) -> str:
    """A value as people wrote it, for messages: a text quoted (`'ten'`), a list or
    an object as JSON (`["a", 1]`), never a Python repr."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)


def parse_instant(value: Any) -> tuple[datetime, bool]:
    """The UTC instant `value` denotes, and whether it was a bare date.

    A bare date (`2024-01-15`) is midnight UTC of that day; a datetime without
    an offset is taken as UTC. Raises `ValueError` for anything else.
    """
    if isinstance(value, datetime):
        parsed, date_only = value, False
    elif isinstance(value, date):
        parsed, date_only = datetime.combine(value, time()), True
    elif isinstance(value, str):
        text = value.strip()
        parsed = datetime.fromisoformat(text)
        date_only = len(text) <= len("2024-01-15")
    else:
        raise ValueError(f"{shown(value)} is not a date or datetime")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), date_only


def to_scalar(value: Any, type_: pa.DataType) -> pa.Scalar:
    """`value` as an Arrow scalar of exactly `type_`; None is a NULL of that type.

    Numbers may be given as numeric strings, booleans as `true`/`false`,
    instants as ISO-8601 strings (compared in UTC). A conversion that would
    lose information (10.5 into an integer column) is refused. Raises
    `ValueError` saying why the value does not fit.
    """
    if value is None:
        return pa.scalar(None, type_)
    if is_temporal(type_):
        return _temporal_scalar(value, type_)
    if pt.is_boolean(type_):
        return pa.scalar(_boolean(value), type_)
    if is_text(type_):
        return pa.scalar(_text(value), type_)
    if is_numeric(type_):
        return _cast(pa.scalar(_number(value, decimal=pt.is_decimal(type_))), type_, value)
    return _cast(pa.scalar(value), type_, value)


def comparable(value: Any, type_: pa.DataType) -> pa.Scalar:
    """A scalar to compare a column of `type_` with.

    Like `to_scalar`, except that a number which does not fit the column's
    type exactly (10.5 against integers) keeps its own type, so Arrow
    compares both as the wider type instead of refusing.
    """
    try:
        return to_scalar(value, type_)
    except ValueError:
        if not is_numeric(type_):
            raise
        return pa.scalar(_number(value, decimal=pt.is_decimal(type_)))


def plain_type(type_: pa.DataType) -> pa.DataType:
    """`type_` with dictionary encoding removed (the values' own type)."""
    return type_.value_type if pt.is_dictionary(type_) else type_


def plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` with every dictionary-encoded column decoded.

    Sources may hand out dictionary arrays; the engine and writers work on
    the values themselves, so decoding once at the start keeps every later
    step (comparisons, replacements, hashing) on one representation.
    """
    if not any(pt.is_dictionary(column.type) for column in batch.columns):
        return batch
    columns = [
        pc.cast(column, plain_type(column.type)) if pt.is_dictionary(column.type) else column
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def constant_array(value: Any, length: int) -> pa.Array:
    """A column of `length` copies of a fixed value, typed from the value itself.

    None becomes a NULL string column: a column of Arrow's null type gives
    writers no type to create or compare with.
    """
    scalar = pa.scalar(None, pa.string()) if value is None else pa.scalar(value)
    return pa.repeat(scalar, length)


def row_numbers(start: int, length: int) -> pa.Array:
    """start, start + 1, ..., start + length - 1 as int64, computed by Arrow, not a Python loop."""
    ones = pa.repeat(pa.scalar(1, pa.int64()), length)
    return pc.add(pc.cumulative_sum(ones), start - 1)


def _temporal_scalar(value: Any, type_: pa.DataType) -> pa.Scalar:
    instant, date_only = parse_instant(value)
    if pt.is_date(type_):
        if not date_only and instant.timetz() != time(tzinfo=UTC):
            raise ValueError(f"{shown(value)} has a time of day; a date column takes a date")
        return pa.scalar(instant.date(), type_)
    if type_.tz is None:
        # A timestamp without a zone holds UTC wall-clock time by this engine's convention.
        return pa.scalar(instant.replace(tzinfo=None), type_)
    return pa.scalar(instant, type_)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{shown(value)} is not a boolean (true or false)")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    raise ValueError(f"{shown(value)} is not a string, number or boolean")


def _number(value: Any, *, decimal: bool) -> int | float | Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} is a boolean, not a number")
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value)) if decimal else value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return Decimal(text) if decimal else float(text)
        except (ValueError, InvalidOperation):
            raise ValueError(f"{shown(value)} is not a number") from None
    raise ValueError(f"{shown(value)} is not a number")


def _cast(scalar: pa.Scalar, type_: pa.DataType, value: Any) -> pa.Scalar:
    try:
        return scalar.cast(type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"{shown(value)} does not fit type {type_}: {error}") from None
