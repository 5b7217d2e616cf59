"""The records of one batch as an API target sees them: events, values, and what is known.

An API cannot be asked which records it holds, so a sync remembers it
(`memory.RecordMemory`): which identities the API confirmed, their remote
ids, and, when a type sends only what changed, the values it last sent.
From that and the mode, each record becomes an event:

| mode | known identity | unknown identity |
|---|---|---|
| `append` | insert | insert |
| `create` | skipped | insert |
| `update` | update | update |
| `updateOrCreate` | update | insert |
| `remove` | delete | delete |
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import RecordResult


class Event(StrEnum):
    """What a request does to the records it carries."""

    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


RESULT_OF = {
    Event.INSERT: RecordResult.INSERTED,
    Event.UPDATE: RecordResult.UPDATED,
    Event.DELETE: RecordResult.DELETED,
}
"""The result of a record whose request succeeded."""


@dataclass(frozen=True)
class Known:
    """What the sync remembers of one record the API confirmed."""

    hash: int
    remote_id: str | None = None
    values: dict[str, Any] | None = None


@dataclass(slots=True)
class Record:
    """One record of a batch: its place, who it is, its values, and its event.

    `previous` is what the API was last sent for it (when the type remembers
    values), `remote_id` the id the API gave it (when the type reads one).
    """

    index: int
    identity: str
    hash: int
    values: dict[str, Any]
    event: Event
    previous: dict[str, Any] | None = None
    remote_id: str | None = None

    @property
    def changed_fields(self) -> list[str]:
        """The fields whose value differs from what the API was last sent (all of
        them when nothing was sent before)."""
        if self.previous is None:
            return list(self.values)
        return [name for name, value in self.values.items() if self.previous.get(name) != value]


def event_of(mode: SyncMode, known: Known | None) -> Event | None:
    """The event `mode` makes of a record the sync does (or does not) know; None: skip it."""
    if mode is SyncMode.REMOVE:
        return Event.DELETE
    if mode is SyncMode.CREATE:
        return None if known is not None else Event.INSERT
    if mode is SyncMode.UPDATE:
        return Event.UPDATE
    if mode is SyncMode.UPDATE_OR_CREATE:
        return Event.UPDATE if known is not None else Event.INSERT
    return Event.INSERT


def jsonable(value: Any) -> Any:
    """A value read from Arrow as JSON carries it: times in ISO 8601 (UTC as `Z`),
    decimals as numbers, bytes as base64, NaN and infinities as null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if all(isinstance(item, tuple) and len(item) == 2 for item in value) and value:
            # Arrow maps read as lists of (key, value) pairs.
            return {str(k): jsonable(v) for k, v in value}
        return [jsonable(item) for item in value]
    return str(value)


def json_bytes(value: Any) -> bytes:
    """Compact JSON in UTF-8, non-ASCII unescaped: orjson's speed, and `json` for what
    orjson refuses (an integer beyond 64 bits, from a wide decimal)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_rows(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    """The rows of `batch` as JSON-ready dicts (see `jsonable`), converted column by
    column: Arrow turns times into ISO 8601 text and decimals into floats in bulk,
    and only what it cannot (nested values, bytes) goes value by value."""
    names = batch.schema.names
    columns = [_json_column(column) for column in batch.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def json_texts(batch: pa.RecordBatch, names: list[str] | None = None) -> list[str] | None:
    """Each row of `batch` as the text of a JSON object (keys `names`, default the
    columns'), built in bulk by Arrow: the text `json_bytes` makes of `json_rows`,
    but for a number Python would write in exponent form (`1e-05`, shown `0.00001`)
    and a decimal too wide for a float (shown exactly). None when a column needs
    converting value by value (nested, binary, times of day, durations) or a text
    holds a control character.
    """
    parts = json_object_parts(batch, names)
    if parts is None:
        return None
    return pc.binary_join_element_wise(*parts, "").to_pylist()  # type: ignore[no-any-return]


def json_object_parts(batch: pa.RecordBatch, names: list[str] | None = None) -> list[Any] | None:
    """What `json_texts` joins (with no separator) into each row's JSON object: texts
    and arrays of texts, to join with more around them. None as for `json_texts`."""
    keys = names if names is not None else batch.schema.names
    parts: list[Any] = []
    for number, (key, column) in enumerate(zip(keys, batch.columns, strict=True)):
        text = _json_text(column)
        if text is None:
            return None
        opening = "{" if number == 0 else ","
        parts += [opening + json.dumps(key, ensure_ascii=False) + ":", text]
    if not parts:
        return [pa.array(["{}"] * batch.num_rows, pa.string())]
    return [*parts, "}"]


def hex_digits(values: pa.Array) -> pa.Array:
    """Unsigned 64-bit integers as 16 lowercase hex digits each, in bulk."""
    wide = values.cast(pa.uint64())
    mask = pa.scalar(0xFFFF, pa.uint64())
    quarters = [
        pc.take(_HEX4, pc.bit_wise_and(pc.shift_right(wide, pa.scalar(shift, pa.uint64())), mask))
        for shift in (48, 32, 16, 0)
    ]
    return pc.binary_join_element_wise(*quarters, "")


_HEX4 = pa.array([f"{i:04x}" for i in range(1 << 16)], pa.string())
"""Every 16-bit value's four hex digits, by value."""


_CONTROL = r"[\x00-\x1f]"
_SPECIAL = r'["\\\x00-\x1f]'


def _json_text(column: pa.Array) -> pa.Array | None:
    """The JSON text of each value of `column` (`null` for a null); None: not in bulk."""
    kind = column.type
    if pt.is_integer(kind):
        text = pc.cast(column, pa.string())
    elif pt.is_boolean(kind):
        text = pc.if_else(column, "true", "false")
    elif pt.is_floating(kind):
        exact = column.cast(pa.float64())  # a float32 shows as Python shows it, widened
        shortest = pc.cast(exact, pa.string())
        # Python writes an integral float with `.0` (`100.0`), Arrow without.
        bare = pc.and_(
            pc.equal(pc.floor(exact), exact), pc.invert(pc.match_substring(shortest, "e"))
        )
        shown = pc.if_else(bare, pc.binary_join_element_wise(shortest, ".0", ""), shortest)
        text = pc.if_else(pc.is_finite(exact), shown, pa.scalar(None, pa.string()))
    elif pt.is_decimal(kind):
        # Exact, at any precision, without trailing zeros: `12.50` as 12.5, `3.00` as 3.
        text = pc.replace_substring_regex(pc.cast(column, pa.string()), r"(\.\d*?)0+$", r"\1")
        text = pc.replace_substring_regex(text, r"\.$", "")
    elif pt.is_string(kind) or pt.is_large_string(kind):
        # One look for anything to escape; most texts have none.
        if pc.any(pc.match_substring_regex(column, _SPECIAL)).as_py():
            if pc.any(pc.match_substring_regex(column, _CONTROL)).as_py():
                return None
            column = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
        text = pc.binary_join_element_wise('"', column, '"', "")
    elif pt.is_timestamp(kind) or pt.is_date(kind):
        text = pc.binary_join_element_wise('"', _temporal_text(column), '"', "")
    else:
        return None
    return pc.fill_null(text, "null")


def _json_column(column: pa.Array) -> list[Any]:
    kind = column.type
    if pt.is_timestamp(kind) or pt.is_date(kind):
        return _temporal_text(column).to_pylist()  # type: ignore[no-any-return]
    if pt.is_floating(kind):
        finite = pc.is_finite(column)
        return pc.if_else(finite, column, pa.scalar(None, kind)).to_pylist()  # type: ignore[no-any-return]
    if pt.is_integer(kind) or pt.is_boolean(kind) or pt.is_string(kind) or pt.is_large_string(kind):
        return column.to_pylist()  # type: ignore[no-any-return]
    if pt.is_decimal(kind) and kind.precision <= EXACT_DIGITS:
        return _decimals(column)
    return [jsonable(value) for value in column.to_pylist()]


EXACT_DIGITS = 15
"""Decimals of at most this many digits convert as `jsonable` converts them from their
exact text: a float is read correctly rounded, and one that is integral was integral."""


def _decimals(column: pa.Array) -> list[Any]:
    """Decimals as `jsonable` makes them (an integral value as an int, else a float),
    read from Arrow's exact text of each, with no `Decimal` made."""
    shown: list[Any] = []
    for text in column.cast(pa.string()).to_pylist():
        if text is None:
            shown.append(None)
            continue
        value = float(text)
        shown.append(int(value) if value.is_integer() else value)
    return shown


def _temporal_text(column: pa.Array) -> pa.Array:
    """ISO 8601 texts of timestamps (UTC ones ending in `Z`) or dates."""
    kind = column.type
    if pt.is_date(kind):
        return pc.strftime(column, format="%Y-%m-%d")
    if kind.tz is None:
        return _iso_times(column, "")
    return _iso_times(column.cast(pa.timestamp(kind.unit, "UTC")), "Z")


def _iso_times(times: pa.Array, zone: str) -> pa.Array:
    """ISO 8601 texts of timestamps (as UTC or naive), with the sub-second part
    `isoformat` shows (none when zero, else six digits, finer ones cut), and `zone`
    after them; in bulk, from Arrow's text of naive timestamps (`YYYY-MM-DD
    HH:MM:SS` and the unit's digits), which it makes twenty times faster than that
    of zoned ones or `strftime`."""
    unit = times.type.unit
    text = pc.cast(times.cast(pa.timestamp(unit)), pa.string())
    text = pc.utf8_replace_slice(text, start=10, stop=11, replacement="T")
    if unit == "s":
        return pc.binary_join_element_wise(text, zone, "")
    whole = pc.utf8_slice_codeunits(text, start=0, stop=19)
    if unit == "ms":
        fraction = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, start=19), "000", "")
    else:
        fraction = pc.utf8_slice_codeunits(text, start=19, stop=26)
    fraction = pc.if_else(pc.equal(fraction, ".000000"), "", fraction)
    return pc.binary_join_element_wise(whole, fraction, zone, "")
