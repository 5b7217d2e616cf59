"""The canonical encoding of mapped values: what record keys and change hashes hash.

The keys and hashes live in each sync's state across runs, so they are
defined functions of the mapped values, not any engine's rendering of them:
an upgrade of Syncline, DuckDB or pyarrow must neither make every record look
changed (a silent full resync) nor hide a change. `tests/engine/
test_change_hash.py` pins them with golden values and an independent
reference implementation; a change to anything below is a change of the
state format.

Canonical encoding of a record: for each target column in order (the
mappings, then the identity columns they do not fill), `frame(name)`
followed by `frame(value)`, all concatenated. `frame(b)` of a byte string is
its length in bytes in base-10 ASCII digits, `:`, then the bytes; `frame` of
a NULL is `:` alone, so NULL and the empty string (`0:`) differ. Names and
texts are UTF-8. The text of a value, by its Arrow type:

- boolean: `t` or `f`.
- integer of any width, signed or not: base-10 digits, `-` before a negative.
- decimal(p, s): base-10, `-` before a negative, at least one integer digit,
  then for s > 0 a `.` and exactly s digits (`150.00`, `-0.05`). Values of
  more than 38 digits have no encoding (DuckDB cannot read them).
- floating point: the value widened to IEEE-754 binary64 (exact for float16
  and float32), every NaN replaced by the quiet NaN 0x7FF8000000000000,
  then its 64-bit pattern as 16 uppercase hex digits, most significant first
  (1.0 is `3FF0000000000000`, -0.0 is `8000000000000000`, so it differs from
  0.0). The bit pattern is read by reinterpreting the Arrow buffer, never by
  an engine's float-to-text.
- string (utf8, large, view): its own UTF-8 bytes.
- binary (any, fixed size): 2 uppercase hex digits per byte.
- date: days since 1970-01-01, base-10 (negative before).
- timestamp (any unit, with or without time zone): microseconds since
  1970-01-01T00:00:00 UTC, base-10; a timestamp without zone holds UTC wall
  time by this engine's convention and is read the same. time: microseconds
  since midnight. duration: microseconds. For nanosecond units, a value that
  is a whole number of microseconds is written so; any other is its
  nanoseconds followed by `n`.
- list (any list type, fixed size too): `frame` of each element, in order,
  concatenated; an empty list is the empty text.
- struct: `frame(name)` then `frame(value)` of each field, like a record.
- map: the list of its entries in stored order, each a struct of `key` and
  `value`.
- null type: always NULL. Dictionary and extension (e.g. `arrow.uuid`)
  values: as their value or storage type.
- anything else (intervals, unions; no connector produces them): DuckDB's
  text rendering of the value. It is the one exception: a DuckDB upgrade
  may render those differently, and their records then look changed once.

Key text of an identity value, by type. For integers and strings it is the
value's text as before the canonical encoding existed, since record logs show
keys and `only_identities` selects records by them:

- integer: base-10 (`42`); string: the string itself; boolean: `true` or
  `false`; decimal: as in the canonical encoding (`-0.05`).
- date: `YYYY-MM-DD`, the proleptic Gregorian year in at least 4 digits with
  `-` before years before 1 (year 0 is 1 BC).
- timestamp: the date as above, a space, `HH:MM:SS`, then when the
  sub-second part is not zero a `.` and its 6 (9 for nanoseconds) digits with
  trailing zeros removed, then `+00` when the type has a time zone (the
  instant in UTC): `2024-01-01 23:00:00.5+00`.
- anything else: the canonical text of the value (a float is its 16 hex
  digits).
- several identity fields: a JSON array of their key texts, without spaces
  (`["42","eu"]`); in each string `"` and `\\` are escaped with `\\`,
  U+0008, U+0009, U+000A, U+000C and U+000D as `\\b \\t \\n \\f \\r`, the other
  characters below U+0020 as `\\u00XX` (uppercase hex), and everything else is
  written as is.

These are the texts DuckDB rendered for integers, strings, booleans,
decimals, composite keys of those, and dates and timestamps of years 1 to
9999 (in UTC), before the encoding was defined, so those keys did not change
with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from syncline.engine.duck import literal

VERSION = 2
"""The version of this encoding, stored with every state (1: DuckDB's `to_json`)."""

_CANONICAL_NAN = pa.scalar(float("nan"), pa.float64())
_JSON_ESCAPES = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}
_STRINGS = (pt.is_string, pt.is_large_string, pt.is_string_view)
_BINARIES = (pt.is_binary, pt.is_large_binary, pt.is_fixed_size_binary, pt.is_binary_view)
_LISTS = (pt.is_list, pt.is_large_list, pt.is_fixed_size_list)
_LISTS_VIEWED = (pt.is_list_view, pt.is_large_list_view)


@dataclass(frozen=True)
class Encoding:
    """How values of one Arrow type become canonical text.

    `kind` names the rule of the module docstring. `prepare` turns an array
    into what the SQL of `text_sql` reads: floats as their uint64 bit
    patterns, dates as int32 days, timestamps, times and durations as int64
    microseconds (`nanos`: nanoseconds), lists as large lists and maps as
    lists of key/value structs, both of prepared children.
    """

    kind: str
    nanos: bool = False
    zone: bool = False
    children: tuple[tuple[str, Encoding], ...] = ()


def encoding_of(type_: pa.DataType) -> Encoding:
    """The encoding of values of `type_` (see the module docstring)."""
    if isinstance(type_, pa.BaseExtensionType):
        return encoding_of(type_.storage_type)
    if pt.is_dictionary(type_):
        return encoding_of(type_.value_type)
    if pt.is_boolean(type_):
        return Encoding("boolean")
    if pt.is_integer(type_):
        return Encoding("integer")
    if pt.is_floating(type_):
        return Encoding("float")
    if pt.is_decimal(type_):
        return Encoding("decimal")
    if any(test(type_) for test in _STRINGS):
        return Encoding("string")
    if any(test(type_) for test in _BINARIES):
        return Encoding("binary")
    if pt.is_date(type_):
        return Encoding("date")
    if pt.is_timestamp(type_):
        return Encoding("timestamp", nanos=type_.unit == "ns", zone=type_.tz is not None)
    if pt.is_time(type_) or pt.is_duration(type_):
        return Encoding("micros", nanos=type_.unit == "ns")
    if pt.is_null(type_):
        return Encoding("null")
    if pt.is_map(type_):
        entry = Encoding(
            "struct",
            children=(
                ("key", encoding_of(type_.key_type)),
                ("value", encoding_of(type_.item_type)),
            ),
        )
        return Encoding("list", children=(("", entry),))
    if any(test(type_) for test in (*_LISTS, *_LISTS_VIEWED)):
        return Encoding("list", children=(("", encoding_of(type_.value_type)),))
    if pt.is_struct(type_) and type_.num_fields:
        return Encoding("struct", children=tuple((f.name, encoding_of(f.type)) for f in type_))
    return Encoding("other")


def prepare(array: pa.Array, encoding: Encoding) -> pa.Array:
    """`array` as the SQL of `text_sql` for `encoding` reads it (see `Encoding`).

    Zero-copy where the values already are what the SQL reads.
    """
    if isinstance(array.type, pa.BaseExtensionType):
        array = array.storage
    if pt.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = encoding.kind
    if kind == "float":
        if not pt.is_float64(array.type):
            array = array.cast(pa.float64())
        if pc.any(pc.is_nan(array)).as_py():
            array = pc.if_else(pc.is_nan(array), _CANONICAL_NAN, array)
        return array.view(pa.uint64())
    if kind == "decimal" and pt.is_decimal256(array.type):
        # DuckDB reads decimals of up to 38 digits; wider values do not fit it (ArrowInvalid).
        return array.cast(pa.decimal128(min(array.type.precision, 38), array.type.scale))
    if kind == "date":
        if pt.is_date64(array.type):
            array = array.cast(pa.date32(), safe=False)
        return array.view(pa.int32())
    if kind in ("timestamp", "micros"):
        return _microseconds(array).view(pa.int64())
    if kind == "list":
        ((_, child),) = encoding.children
        if pt.is_map(array.type):
            entry = pa.struct([array.type.key_field, array.type.item_field])
            array = array.cast(pa.list_(entry))
        lengths = pc.fill_null(pc.list_value_length(array), 0).cast(pa.int64())
        offsets = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(lengths)])
        values = prepare(pc.list_flatten(array), child)
        return pa.LargeListArray.from_arrays(offsets, values, mask=array.is_null())
    if kind == "struct":
        children = [
            prepare(array.field(n), child) for n, (_, child) in enumerate(encoding.children)
        ]
        names = [name for name, _ in encoding.children]
        return pa.StructArray.from_arrays(children, names=names, mask=array.is_null())
    return array


def _microseconds(array: pa.Array) -> pa.Array:
    """A timestamp, time or duration array in microseconds, or nanoseconds when it has them."""
    type_ = array.type
    if type_.unit in ("us", "ns"):
        return array
    if pt.is_timestamp(type_):
        return array.cast(pa.timestamp("us", type_.tz))
    if pt.is_time(type_):
        return array.cast(pa.time64("us"))
    return array.cast(pa.duration("us"))


def frame(text: str) -> str:
    """`text` framed as in the canonical encoding: its UTF-8 length, `:`, itself."""
    return f"{len(text.encode())}:{text}"


def text_sql(expr: str, encoding: Encoding, depth: int = 0) -> str:
    """SQL for the canonical text of the prepared value `expr`; NULL for NULL.

    `depth` keeps the lambda variables of nested lists and structs apart.
    """
    kind = encoding.kind
    if kind in ("integer", "decimal", "date") or (
        kind in ("timestamp", "micros") and not encoding.nanos
    ):
        return f"{expr}::VARCHAR"
    if kind in ("timestamp", "micros"):
        return (
            f"CASE WHEN {expr} % 1000 = 0 THEN ({expr} // 1000)::VARCHAR "
            f"ELSE {expr}::VARCHAR || 'n' END"
        )
    if kind == "string":
        return expr
    if kind == "boolean":
        return f"CASE {expr} WHEN true THEN 't' WHEN false THEN 'f' END"
    if kind == "float":
        return f"lpad(to_hex({expr}), 16, '0')"
    if kind == "binary":
        return f"hex({expr})"
    if kind == "null":
        return "NULL::VARCHAR"
    x, y, i = f"x{depth}", f"y{depth}", f"i{depth}"
    if kind == "list":
        ((_, child),) = encoding.children
        texts = f"list_transform({expr}, lambda {x}: {text_sql(x, child, depth + 1)})"
        frames = f"list_transform({texts}, lambda {y}: concat(strlen({y}), ':', {y}))"
        return f"array_to_string({frames}, '')"
    if kind == "struct":
        names = "[" + ", ".join(literal(frame(name)) for name, _ in encoding.children) + "]"
        texts = ", ".join(
            f"CAST({text_sql(f'struct_extract({expr}, {literal(name)})', child, depth + 1)} "
            "AS VARCHAR)"
            for name, child in encoding.children
        )
        framed = f"concat({names}[{i}], strlen({y}), ':', {y})"
        frames = f"list_transform([{texts}], lambda {y}, {i}: {framed})"
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE array_to_string({frames}, '') END"
    return f"{expr}::VARCHAR"


def key_text_sql(expr: str, encoding: Encoding) -> str:
    """SQL for the key text of the prepared identity value `expr`; NULL for NULL."""
    if encoding.kind == "boolean":
        return f"CASE {expr} WHEN true THEN 'true' WHEN false THEN 'false' END"
    if encoding.kind == "date":
        return _date_sql(expr)
    if encoding.kind == "timestamp":
        second = 10**9 if encoding.nanos else 10**6
        day = 86_400 * second
        time = f"((({expr}) % {day} + {day}) % {day})"
        date = _date_sql(f"(({expr}) - {time}) // {day}")
        clock = (
            f"printf('%02d:%02d:%02d', {time} // {3600 * second}, {time} // {60 * second} % 60, "
            f"{time} // {second} % 60)"
        )
        digits = len(str(second)) - 1
        fraction = (
            f"CASE WHEN {time} % {second} = 0 THEN '' "
            f"ELSE '.' || rtrim(printf('%0{digits}d', {time} % {second}), '0') END"
        )
        zone = " || '+00'" if encoding.zone else ""
        return f"{date} || ' ' || {clock} || {fraction}{zone}"
    return text_sql(expr, encoding)


def _date_sql(days: str) -> str:
    """SQL for `YYYY-MM-DD` of the day `days` after 1970-01-01 (see the module docstring)."""
    date = f"(DATE '1970-01-01' + CAST({days} AS INTEGER))"
    year = (
        f"CASE WHEN year({date}) < 0 THEN printf('-%04d', -year({date})) "
        f"ELSE printf('%04d', year({date})) END"
    )
    return f"{year} || printf('-%02d-%02d', month({date}), day({date}))"


def json_string(text: str) -> str:
    """SQL for `text` as a JSON string with the escaping of the module docstring."""
    escaped = f"replace(replace({text}, '\\', '\\\\'), '\"', '\\\"')"
    for code in range(0x20):
        escape = _JSON_ESCAPES.get(code, f"\\u{code:04X}")
        escaped = f"replace({escaped}, chr({code}), {literal(escape)})"
    needs = f"regexp_matches({text}, '[\\x00-\\x1f\"\\\\]')"
    return f"'\"' || CASE WHEN {needs} THEN {escaped} ELSE {text} END || '\"'"
