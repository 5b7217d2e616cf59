"""DDL text the writers run: new tables, new columns, staging table names.

Creation is idempotent so that a run repeated after a crash does not fail on
what the first attempt already made: tables are created `IF NOT EXISTS`, and
columns are added only after the catalog says they are missing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence

import pyarrow as pa

from syncline.connectors.sql.values import is_nested
from syncline.errors import ConnectorError

STAGE_MARKER = "__syncline_stage_"
"""Part of the name of every replace staging table, so leftovers are recognisable."""

_SQLITE_CREATE = re.compile(
    r"\s*CREATE\s+TABLE\s+"
    r"""("(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|'(?:[^']|'')*'|[^\s("'`\[]+)""",
    re.IGNORECASE,
)


def column_type(
    arrow_type: pa.DataType, types: Mapping[str, str], identity_types: Mapping[str, str]
) -> str:
    """The SQL type of a new column holding `arrow_type` values, from a
    dialect's table of types by kind (see `arrow_kind`); `identity_types`
    overrides it for identity columns. `{precision}` and `{scale}` in a
    decimal's entry are filled in."""
    kind = arrow_kind(arrow_type)
    template = identity_types.get(kind) or types[kind]
    if kind == "decimal":
        return template.format(precision=arrow_type.precision, scale=arrow_type.scale)
    return template


def arrow_kind(arrow_type: pa.DataType) -> str:
    """The kind of SQL column an Arrow type needs: `boolean`, `int16`, `int32`,
    `int64`, `uint64`, `float32`, `float64`, `decimal`, `string`, `binary`,
    `timestamptz`, `timestamp`, `date`, `time`, `duration` or `json`
    (lists and objects). Types without a better home are `string`."""
    t = pa.types
    checks: list[tuple[bool, str]] = [
        (t.is_boolean(arrow_type), "boolean"),
        (t.is_int8(arrow_type) or t.is_int16(arrow_type) or t.is_uint8(arrow_type), "int16"),
        (t.is_int32(arrow_type) or t.is_uint16(arrow_type), "int32"),
        (t.is_int64(arrow_type) or t.is_uint32(arrow_type), "int64"),
        (t.is_uint64(arrow_type), "uint64"),
        (t.is_float16(arrow_type) or t.is_float32(arrow_type), "float32"),
        (t.is_float64(arrow_type), "float64"),
        (t.is_decimal(arrow_type), "decimal"),
        (
            t.is_binary(arrow_type)
            or t.is_large_binary(arrow_type)
            or t.is_fixed_size_binary(arrow_type),
            "binary",
        ),
        (t.is_timestamp(arrow_type) and arrow_type.tz is not None, "timestamptz"),
        (t.is_timestamp(arrow_type), "timestamp"),
        (t.is_date(arrow_type), "date"),
        (t.is_time(arrow_type), "time"),
        (t.is_duration(arrow_type), "duration"),
        (is_nested(arrow_type), "json"),
    ]
    return next((kind for matches, kind in checks if matches), "string")


def create_table_sql(table: str, columns: Sequence[tuple[str, str]], key: Sequence[str]) -> str:
    """`CREATE TABLE IF NOT EXISTS` with quoted `(column, type)` pairs and a
    primary key on the quoted `key` columns (none when empty)."""
    definitions = [f"{name} {type_sql}" for name, type_sql in columns]
    if key:
        definitions.append(f"PRIMARY KEY ({', '.join(key)})")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(definitions)})"


def add_column_sql(table: str, column: str, type_sql: str) -> str:
    """Add one nullable column (quoted names)."""
    return f"ALTER TABLE {table} ADD COLUMN {column} {type_sql}"


def stage_name(table: str, max_bytes: int | None) -> str:
    """A fresh staging table name derived from `table`, at most `max_bytes`
    UTF-8 bytes long: `<table>__syncline_stage_<8 hex digits>`."""
    suffix = f"{STAGE_MARKER}{uuid.uuid4().hex[:8]}"
    if max_bytes is None:
        return table + suffix
    room = max_bytes - len(suffix)
    head = table.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore")
    return head + suffix


def renamed_create_table(sql: str, new_name: str) -> str:
    """SQLite's stored `CREATE TABLE` text for a table, naming `new_name` instead.

    SQLite keeps a table's definition only as the text that created it (with
    `IF NOT EXISTS` and the schema removed), so a copy with the same columns,
    constraints and options is that text under another name. Raises
    `ConnectorError` for text that does not start like a table definition.
    """
    match = _SQLITE_CREATE.match(sql)
    if match is None:
        raise ConnectorError("cannot copy the table definition: unexpected CREATE TABLE text")
    return f"CREATE TABLE {new_name}{sql[match.end() :]}"
