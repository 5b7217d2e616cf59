"""Writing to PostgreSQL tables with psycopg 3.

Records reach the database by `COPY ... FROM STDIN`: into the table itself
(append, snapshot), into the replace staging table, or into a temporary
staging table (truncated as each transaction starts) from which identity
modes merge with `UPDATE ... FROM`, `INSERT ... ON CONFLICT` and
`DELETE ... USING`.

A clean batch is copied whole from Arrow (`_load_arrow`): in the binary
format that pgpq encodes when every column's type takes it (`binary`), else
as CSV that Arrow writes: every value quoted, NULL unquoted and empty,
booleans as `t`/`f` as psycopg writes them. Rows of Python values (the row path, and
columns CSV cannot carry exactly: binary data, durations, lists, objects)
are copied in COPY's text format by psycopg (`_load`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.postgresql.binary import UTC_NAMES, binary_type, encode
from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.checks import CheckConstraint
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.dialect import Row, UniqueKey
from syncline.connectors.sql.like import LIKE_ESCAPE, Pattern, like_text
from syncline.connectors.sql.merge import ROW_COLUMN
from syncline.connectors.sql.screen import ColumnLimits
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sql.target_filter import Clause
from syncline.connectors.sql.types import parse_type_name
from syncline.connectors.sql.uniques import UniqueIndex
from syncline.connectors.sql.values import (
    Converter,
    arrow_loadable,
    csv_pieces,
    is_nested,
    json_text,
)
from syncline.connectors.sql.writer import SqlWriter
from syncline.connectors.writing import WriteColumn, WritePlan

RECORD_FAULT_CLASSES = frozenset({"21", "22", "23", "54", "P0"})
"""SQLSTATE classes a record can cause: cardinality (one row hit twice),
data exceptions, integrity constraints, program limits (an index row too
large) and errors raised by triggers. Anything else is the target's fault."""

_UNIQUE_KEYS_SQL = """
SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts),
       i.indpred IS NULL AND i.indexprs IS NULL AND i.indimmediate
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND i.indisunique
"""

_UNIQUE_INDEXES_SQL = """
SELECT ic.relname,
       i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indimmediate
       AND i.indisvalid AND i.indisready
       AND NOT COALESCE((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false),
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts ORDER BY k.n)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND (i.indisunique OR i.indisexclusion)
ORDER BY ic.relname
"""

_PLAIN_TABLE_SQL = """
SELECT c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'
                                       AND (f.conrelid = c.oid OR f.confrelid = c.oid))
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""

_CHECKS_SQL = """
SELECT c.conname, pg_get_expr(c.conbin, c.conrelid),
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))
FROM pg_constraint c
JOIN pg_class r ON r.oid = c.conrelid
JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE n.nspname = %s AND r.relname = %s AND c.contype = 'c'
ORDER BY c.conname
"""

_TRIGGERS_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_trigger t
               JOIN pg_class r ON r.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = r.relnamespace
               WHERE n.nspname = %s AND r.relname = %s AND NOT t.tgisinternal)
"""

_CHAR_TYPES = {
    "character varying": "character varying",
    "varchar": "character varying",
    "character": "character",
    "char": "character",
    "bpchar": "character",
}
_INT_RANGES = {
    "smallint": (-(1 << 15), (1 << 15) - 1),
    "integer": (-(1 << 31), (1 << 31) - 1),
    "bigint": (-(1 << 63), (1 << 63) - 1),
}


class PostgresqlWriter(SqlWriter):
    """A writer for one PostgreSQL table."""

    temp_schema: ClassVar[str | None] = "pg_temp"
    # TRUNCATE rather than DELETE: autovacuum never visits temporary tables,
    # so rows deleted, or loaded by an attempt rolled back while isolating a
    # bad record, would pile up and slow every later batch. A truncation
    # inside the transaction gives the batch a fresh file, and a rollback
    # throws that file away with whatever was loaded into it.
    clear_stage_sql: ClassVar[str] = "TRUNCATE {stage}"
    row_type: ClassVar[str] = "bigint"
    # The screens' queries look costly to the planner (it knows nothing of the
    # staged rows) but run in milliseconds: compiling them would take longer.
    screen_settings_sql: ClassVar[str | None] = "SET LOCAL jit = off"
    loads_arrow: ClassVar[bool] = True
    column_types: ClassVar[dict[str, str]] = {
        "boolean": "boolean",
        "int16": "smallint",
        "int32": "integer",
        "int64": "bigint",
        "uint64": "numeric(20,0)",
        "float32": "real",
        "float64": "double precision",
        "decimal": "numeric({precision},{scale})",
        "string": "text",
        "binary": "bytea",
        "timestamptz": "timestamptz",
        "timestamp": "timestamp",
        "date": "date",
        "time": "time",
        "duration": "interval",
        "json": "jsonb",
    }

    def __init__(self, target: SqlTarget, plan: WritePlan) -> None:
        super().__init__(target, plan)
        self._column_types: dict[str, str] = {}
        """Column name -> type as `format_type` spells it, for binary loads (set at open)."""

    def _connect(self) -> DbConnection:
        conn = self.target._connect()
        conn.read_only = None
        conn.autocommit = True
        # Naive timestamps are UTC, as Arrow's are; comparisons with
        # timestamp columns then agree with timestamptz ones.
        try:
            with self.target._watched(conn):
                conn.execute("SET TimeZone TO 'UTC'")
        except BaseException:
            self.target._close(conn)
            raise
        return conn

    def _is_record_fault(self, exc: Exception) -> bool:
        sqlstate = str(getattr(exc, "sqlstate", None) or "")
        return sqlstate[:2] in RECORD_FAULT_CLASSES

    def _is_broken(self) -> bool:
        return bool(self.conn.closed or self.conn.broken)

    def _unique_keys(self, ref: TableRef) -> list[UniqueKey]:
        rows = self.fetch(_UNIQUE_KEYS_SQL, [ref.schema, ref.name])
        return [UniqueKey(frozenset(columns), bool(usable)) for columns, usable in rows]

    def _column_limits(self, column: Column) -> ColumnLimits | None:
        """Lengths of `varchar(n)`/`char(n)`, ranges of the integer types, NOT NULL.

        Only the column's own type counts (a domain's rules are the server's).
        """
        parsed = parse_type_name(column.remote_type)
        if parsed.array:
            return None
        named = f'(column "{column.name}")'
        limits = ColumnLimits(
            column.name,
            not_null=not column.nullable,
            null_message=(
                f'null value in column "{column.name}" of relation "{self.prepared.ref.name}"'
                " violates not-null constraint"
            ),
        )
        text = _CHAR_TYPES.get(parsed.base)
        if text is not None and len(parsed.args) == 1:
            size = parsed.args[0]
            message = f"value too long for type {text}({size}) {named}"
            limits = ColumnLimits(
                **{**limits.__dict__, "max_chars": size, "chars_message": message}
            )
        if parsed.base in _INT_RANGES:
            message = f"value is out of range for type {parsed.base} {named}"
            limits = ColumnLimits(
                **{
                    **limits.__dict__,
                    "int_range": _INT_RANGES[parsed.base],
                    "range_message": message,
                }
            )
        return limits

    def _check_constraints(self, ref: TableRef) -> list[CheckConstraint]:
        return [
            CheckConstraint(
                name,
                expression,
                frozenset(columns),
                f'new row for relation "{ref.name}" violates check constraint "{name}"',
            )
            for name, expression, columns in self.fetch(_CHECKS_SQL, [ref.schema, ref.name])
        ]

    def _has_triggers(self, ref: TableRef) -> bool:
        return bool(self.fetch(_TRIGGERS_SQL, [ref.schema, ref.name])[0][0])

    def _unique_indexes(self, ref: TableRef) -> list[UniqueIndex] | None:
        """Plain unique indexes of a plain table no foreign key involves: the
        server checks NOT NULL and CHECK constraints before unique indexes,
        and foreign keys only after the statement's rows are in."""
        plain = self.fetch(_PLAIN_TABLE_SQL, [ref.schema, ref.name])
        if not plain or not plain[0][0]:
            return None
        indexes = []
        for name, usable, columns in self.fetch(_UNIQUE_INDEXES_SQL, [ref.schema, ref.name]):
            if not usable or not columns:
                return None
            indexes.append(UniqueIndex(str(name), tuple(str(c) for c in columns)))
        return indexes

    def _duplicate_key(self, message: str) -> str | None:
        found = re.fullmatch(r'duplicate key value violates unique constraint "(.+)"', message)
        return found.group(1) if found else None

    def _duplicate_message(self, index: UniqueIndex, value: str | None) -> str | None:
        # The primary message only, as `_error_message` reports it (no DETAIL).
        return f'duplicate key value violates unique constraint "{index.name}"'

    def _create_replace_stage(self, stage: TableRef, ref: TableRef) -> None:
        # INCLUDING ALL: defaults, identity and generated columns, CHECK
        # constraints and the unique indexes that catch a bad record early.
        self.execute(
            f"CREATE TABLE {self.qualified(stage)} (LIKE {self.qualified(ref)} INCLUDING ALL)"
        )

    def _load(self, table: TableRef, columns: Sequence[str], rows: Sequence[Row]) -> None:
        # COPY takes no bound values, so its names are quoted as they are.
        names = ", ".join(self.target.quote(column) for column in columns)
        sql = f"COPY {self.target.qualified(table)} ({names}) FROM STDIN"
        with (
            self.target._watched(self.conn),
            self.conn.cursor() as cursor,
            cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _can_load_arrow(self, ref: TableRef, columns: Sequence[tuple[pa.DataType, Column]]) -> bool:
        # Kept for `_binary`: the stages have the target's column types, row numbers bigint.
        self._column_types = {c.name: c.remote_type for _, c in columns}
        self._column_types[ROW_COLUMN] = "bigint"
        return all(
            arrow_loadable(arrow_type, self.target.map_type(c.mapped_name), c.mapped_name)
            for arrow_type, c in columns
        )

    def _load_arrow(self, table: TableRef, columns: Sequence[str], batch: pa.RecordBatch) -> None:
        names = ", ".join(self.target.quote(column) for column in columns)
        copied = f"COPY {self.target.qualified(table)} ({names}) FROM STDIN"
        # Sent a slice at a time, so the server reads one while the next is encoded.
        pieces: Iterator[bytes | memoryview] | None = self._binary(columns, batch)
        if pieces is not None:
            sql = f"{copied} (FORMAT binary)"
        else:
            # CSV's NULL is an unquoted empty value; every other value is quoted.
            sql = f"{copied} (FORMAT csv, ENCODING 'UTF8')"
            pieces = csv_pieces([_csv_ready(array) for array in batch.columns], null="")
        with (
            self.target._watched(self.conn),
            self.conn.cursor() as cursor,
            cursor.copy(sql) as copy,
        ):
            for piece in pieces:
                copy.write(piece)

    def _binary(self, columns: Sequence[str], batch: pa.RecordBatch) -> Iterator[bytes] | None:
        """`batch` as pieces of binary COPY data for `columns`, or None when a column
        cannot take it."""
        types = [
            binary_type(array.type, self._column_types.get(name, ""))
            for name, array in zip(columns, batch.columns, strict=True)
        ]
        if any(kind is None for kind in types):
            return None
        try:
            return encode(batch.columns, [kind for kind in types if kind is not None])
        except pa.ArrowInvalid:
            return None  # a value its cast would change: CSV carries it as it is

    def _converter(self, column: WriteColumn, existing: Column) -> Converter | None:
        """Lists stay lists for array columns (COPY writes them as arrays);
        other lists and objects become JSON text."""
        if not is_nested(column.arrow_type):
            return None
        if existing.mapped_name.endswith("[]"):
            return None
        return json_text

    def bind(self, value: Any) -> Any:
        return value

    def like(self, expr: str, pattern: Pattern) -> Clause:
        # The cast lets LIKE apply to enums, uuids and other text-like types.
        return (
            f"CAST({expr} AS text) LIKE {self.placeholder} ESCAPE '{LIKE_ESCAPE}'",
            [like_text(pattern)],
        )

    def empty_text(self, expr: str) -> str:
        return f"CAST({expr} AS text) = ''"

    def array_contains(self, expr: str, value: Any) -> Clause:
        # ANY gives NULL for an array holding NULLs but not the value; that is "no".
        return f"COALESCE({self.placeholder} = ANY({expr}), false)", [value]


def _csv_ready(array: pa.Array) -> pa.Array:
    """A column as psycopg would spell its values where Arrow's CSV differs:
    booleans as `t`/`f`, and narrower floats widened to the double Python
    holds (so `0.1` as a float32 is written as 0.10000000149011612).

    Instants in UTC are written as naive UTC wall time, which the session
    (in UTC) reads as the same instant, and a `timestamp` column as the
    same wall time, while Arrow formats zoned values many times slower.
    Other zones keep their offset: a `timestamp` column takes their local
    wall time, as from psycopg.
    """
    kind = array.type
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "t", "f")
    if pa.types.is_float16(kind) or pa.types.is_float32(kind):
        return array.cast(pa.float64())
    if pa.types.is_timestamp(kind) and kind.tz is not None and kind.tz.lower() in UTC_NAMES:
        return array.cast(pa.timestamp(kind.unit))
    return array
