"""Query results into Arrow record batches.

Rows from a DB-API cursor are converted column by column: each column is
first handed to Arrow as the driver returned it (the fast path for ints,
floats, strings, dates, decimals); only when Arrow refuses are the values
converted one by one (JSON objects to JSON text, UUIDs and other objects to
text, MySQL BIT bytes to ints, durations to `HH:MM:SS`).

A database's CSV export (PostgreSQL's `COPY ... (FORMAT csv)`) is parsed by
Arrow's C++ CSV reader instead (`CsvDecoder`), with no Python object per value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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


# ------------------------------------------------------------ CSV


@dataclass(frozen=True)
class CsvColumn:
    """How one CSV column becomes the Arrow array of its field.

    Arrow's CSV reader parses the text as `parse_type`; `finish`, when
    given, turns that array into one of `field.arrow_type` (a zero-copy
    view, or a fix-up of the few values the text spells differently).
    """

    field: Field
    parse_type: pa.DataType
    finish: Callable[[pa.Array], pa.Array] | None = None


@dataclass(frozen=True)
class CsvChunk:
    """`rows` complete CSV records, back to back, in `data`."""

    data: bytes | bytearray
    rows: int


_CSV_COLUMN_ERROR = re.compile(
    r"In CSV column #(\d+): (?:Row #\d+: )?(?:CSV conversion error to [^:]+: )?(.*)", re.DOTALL
)


class CsvDecoder:
    """Parses chunks of CSV records into record batches of a fixed schema.

    The dialect is PostgreSQL's `COPY ... (FORMAT csv)`: comma separated,
    quoted with `"` (a quote inside doubled), a NULL is an unquoted empty
    value and an empty string a quoted one (`""`), quoted values may hold
    newlines, booleans are spelled `true_values` / `false_values`. Nothing
    else is read as NULL (the text `NULL` or `NaN` stays a value), and a
    line holding only a NULL is a record, not a blank line to skip.
    """

    def __init__(
        self,
        columns: Sequence[CsvColumn],
        schema: pa.Schema,
        *,
        true_values: Sequence[str],
        false_values: Sequence[str],
    ) -> None:
        self._columns = list(columns)
        self._schema = schema
        # Positional names: result columns may repeat a name.
        self._names = [f"c{i}" for i in range(len(self._columns))]
        self._parse = pacsv.ParseOptions(
            delimiter=",",
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=False,
        )
        self._convert = pacsv.ConvertOptions(
            check_utf8=True,
            column_types={
                name: column.parse_type
                for name, column in zip(self._names, self._columns, strict=True)
            },
            null_values=[""],
            true_values=list(true_values),
            false_values=list(false_values),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )

    def __call__(self, chunk: CsvChunk) -> pa.RecordBatch:
        """The records of `chunk` as one record batch.

        Raises `ConnectorError` naming the column when a value cannot be
        read as its column's type, or when the text is not the CSV expected.
        """
        read = pacsv.ReadOptions(
            column_names=self._names,
            # One block: the chunk is in memory already and bounded by the batch size.
            block_size=min(max(len(chunk.data), 1), 2**31 - 1),
            use_threads=False,
        )
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(chunk.data)),
                read_options=read,
                parse_options=self._parse,
                convert_options=self._convert,
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ConnectorError(self._message(exc)) from None
        if table.num_rows != chunk.rows:
            raise ConnectorError(
                f"the CSV export held {table.num_rows} records where {chunk.rows} rows were sent"
            )
        arrays = []
        for column, values in zip(self._columns, table.columns, strict=True):
            array = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
            arrays.append(array if column.finish is None else column.finish(array))
        return pa.RecordBatch.from_arrays(arrays, schema=self._schema)

    def _message(self, exc: Exception) -> str:
        text = str(exc)
        match = _CSV_COLUMN_ERROR.search(text)
        if match is None or int(match.group(1)) >= len(self._columns):
            return f"the CSV export could not be read: {text}"
        field = self._columns[int(match.group(1))].field
        return (
            f"column {field.name!r} ({field.remote_type}): a value cannot be read as "
            f"{field.arrow_type}: {match.group(2).strip()}"
        )


_PYTHON_SCIENTIFIC = r"^-?0\.0{6}[0-9]"
"""Plain decimal text that Python's `str(Decimal)` writes in scientific
notation: an adjusted exponent below -6 (`0.0000001` is `1E-7`, `0.0000000`
is `0E-7`). Text without an exponent never has a positive one."""


def python_decimal_text(array: pa.Array) -> pa.Array:
    """Decimal text (as PostgreSQL writes `numeric`) spelled as `str(Decimal(text))`.

    The row path reads such values as `Decimal` and keeps `str()` of them,
    which differs from the database's text only for magnitudes below 1e-6;
    those few values are converted in Python, every other one is kept as is.
    """
    mask = pc.fill_null(pc.match_substring_regex(array, _PYTHON_SCIENTIFIC), False)
    if not pc.any(mask).as_py():
        return array
    picked = pc.filter(array, mask).to_pylist()
    fixed = pa.array([str(decimal.Decimal(value)) for value in picked], type=array.type)
    return pc.replace_with_mask(array, mask, fixed)
