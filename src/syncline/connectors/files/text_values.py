"""How values of each Arrow type are rendered as CSV text and as JSON, in DuckDB SQL.

Both text formats share these choices, so a value reads back the same from a
CSV file and a JSON Lines file:

- timestamps: ISO-8601, `2024-01-02T03:04:05` with `.ffffff` only when there
  are fractions of a second; zone-aware ones are converted to UTC and end in
  `Z`. DuckDB's readers detect both forms as timestamps again.
- dates and times: ISO-8601 (`2024-01-02`, `03:04:05`).
- booleans: `true` / `false`.
- decimals: plain digits in CSV; JSON numbers in JSON Lines, because the
  files source reads JSON numbers back as numbers. DuckDB's JSON writer keeps
  about 17 significant digits, which is also all the files source reads.
- binary: base64 text (neither format has bytes).
- lists, structs and maps: JSON text in CSV, nested JSON in JSON Lines.
- NULL: an empty CSV field; JSON `null`.

A value JSON cannot hold (NaN, Infinity, also inside a list) raises
DuckDB's `InvalidInputException` naming the column, so the record holding
it can be rejected alone.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.types as pat


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted so any column name is taken literally."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal (used only for messages built into SQL)."""
    return "'" + text.replace("'", "''") + "'"


def csv_text(column: str, arrow_type: pa.DataType) -> str:
    """SQL rendering the Arrow-typed column `column` (quoted) as VARCHAR, or NULL."""
    if pat.is_dictionary(arrow_type):
        return csv_text(column, arrow_type.value_type)
    if pat.is_null(arrow_type):
        return "CAST(NULL AS VARCHAR)"
    if pat.is_timestamp(arrow_type):
        return _iso_timestamp(column, arrow_type)
    if _is_binary(arrow_type):
        return f"base64(CAST({column} AS BLOB))"
    if pat.is_nested(arrow_type):
        return f"CAST(to_json({column}) AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"


def json_text(column: str, arrow_type: pa.DataType, name: str) -> str:
    """SQL rendering the Arrow-typed column `column` (quoted) as JSON text, or NULL.

    `name` is the column's plain name, for the message of a value JSON
    cannot hold.
    """
    value = f"CAST({_json_value(column, arrow_type)} AS VARCHAR)"
    non_finite = _non_finite(column, arrow_type, value)
    if non_finite is None:
        return value
    problem = (
        literal(f"column {name!r}: the value ")
        + f" || CAST({column} AS VARCHAR) || "
        + literal(" cannot be written as JSON (JSON has no NaN or Infinity)")
    )
    return f"CASE WHEN {non_finite} THEN CAST(error({problem}) AS VARCHAR) ELSE {value} END"


def _non_finite(column: str, arrow_type: pa.DataType, text: str) -> str | None:
    """SQL true where the value holds NaN or Infinity; None if its type cannot.

    DuckDB's JSON functions accept and write these tokens, but they are not
    JSON, and other readers (and the files source) would fail on the file.
    """
    if pat.is_dictionary(arrow_type):
        return _non_finite(column, arrow_type.value_type, text)
    if pat.is_floating(arrow_type):
        return f"(isnan({column}) OR isinf({column}))"
    if pat.is_nested(arrow_type) and _holds_floats(arrow_type):
        # Blank out every JSON string, then look for a bare NaN or Infinity token.
        bare = f"""regexp_replace({text}, '"(\\\\.|[^"\\\\])*"', '""', 'g')"""
        return f"regexp_matches({bare}, '(^|[\\[,:])-?(NaN|Infinity)')"
    return None


def _holds_floats(arrow_type: pa.DataType) -> bool:
    if pat.is_floating(arrow_type):
        return True
    if pat.is_dictionary(arrow_type):
        return _holds_floats(arrow_type.value_type)
    if pat.is_map(arrow_type):
        return _holds_floats(arrow_type.key_type) or _holds_floats(arrow_type.item_type)
    if pat.is_struct(arrow_type):
        return any(_holds_floats(field.type) for field in arrow_type)
    if hasattr(arrow_type, "value_type"):  # every kind of list
        return _holds_floats(arrow_type.value_type)
    return False


def _json_value(column: str, arrow_type: pa.DataType) -> str:
    if pat.is_dictionary(arrow_type):
        return _json_value(column, arrow_type.value_type)
    if pat.is_null(arrow_type):
        return "CAST(NULL AS JSON)"
    if (
        pat.is_boolean(arrow_type)
        or pat.is_integer(arrow_type)
        or pat.is_floating(arrow_type)
        or pat.is_decimal(arrow_type)
        or pat.is_nested(arrow_type)
    ):
        return f"to_json({column})"
    if pat.is_timestamp(arrow_type):
        return f"to_json({_iso_timestamp(column, arrow_type)})"
    if _is_binary(arrow_type):
        return f"to_json(base64(CAST({column} AS BLOB)))"
    return f"to_json(CAST({column} AS VARCHAR))"


def _iso_timestamp(column: str, arrow_type: pa.TimestampType) -> str:
    """ISO-8601 text of a timestamp column; zone-aware ones in UTC with `Z`.

    The writer's DuckDB session runs in UTC, so casting a zone-aware value
    to TIMESTAMP gives its UTC wall time.
    """
    aware = arrow_type.tz is not None
    if arrow_type.unit == "ns" and not aware:
        value = f"CAST({column} AS TIMESTAMP_NS)"
        whole = f"epoch_ns({value}) % 1000000000 = 0"
        fraction = f"strftime({value}, '.%n')"
    else:
        value = f"CAST({column} AS TIMESTAMP)"
        whole = f"epoch_us({value}) % 1000000 = 0"
        fraction = f"strftime({value}, '.%f')"
    zone = " || 'Z'" if aware else ""
    return (
        f"strftime({value}, '%Y-%m-%dT%H:%M:%S') "
        f"|| CASE WHEN {whole} THEN '' ELSE {fraction} END{zone}"
    )


def _is_binary(arrow_type: pa.DataType) -> bool:
    return bool(
        pat.is_binary(arrow_type)
        or pat.is_large_binary(arrow_type)
        or pat.is_fixed_size_binary(arrow_type)
        or pat.is_binary_view(arrow_type)
    )
