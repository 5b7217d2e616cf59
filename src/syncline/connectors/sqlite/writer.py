"""Writing to SQLite tables with `sqlite3`.

SQLite is embedded, so records are inserted with `executemany` (one
prepared statement stepped per row, inside the batch's transaction): into
the table itself (append, snapshot), into the replace staging table, or into
a temporary staging table from which identity modes merge with
`UPDATE ... FROM`, `INSERT ... ON CONFLICT` and `DELETE ... WHERE (...) IN`.

SQLite has no date, decimal or list types: instants are written as UTC
ISO-8601 text (`2024-01-15 09:30:00+00:00`), decimals as their exact text
(the column's affinity decides how they are kept), lists and objects as JSON.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

import pyarrow as pa

from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.ddl import renamed_create_table
from syncline.connectors.sql.dialect import Row, UniqueKey, restrict
from syncline.connectors.sql.like import Pattern, glob_text
from syncline.connectors.sql.merge import MergeTables
from syncline.connectors.sql.target_filter import Clause
from syncline.connectors.sql.values import Converter, is_nested, iso_text, json_text
from syncline.connectors.sql.writer import SqlWriter
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.connectors.sqlite.connection import open_database
from syncline.connectors.writing import WriteColumn
from syncline.errors import ConnectionCheckFailed


class SqliteWriter(SqlWriter):
    """A writer for one SQLite table."""

    # IMMEDIATE takes the write lock up front, so a batch never fails halfway
    # because another connection started writing after it read.
    begin_sql: ClassVar[str] = "BEGIN IMMEDIATE"
    temp_schema: ClassVar[str | None] = "temp"
    create_temp_sql: ClassVar[str] = "CREATE TEMP TABLE {name} AS {select}"
    commit_table_sql: ClassVar[str] = (
        "CREATE TABLE IF NOT EXISTS {table} (sync_id TEXT NOT NULL, execution_id TEXT NOT NULL,"
        " batch INTEGER NOT NULL, first_row INTEGER NOT NULL, outcomes TEXT NOT NULL,"
        " committed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
        " PRIMARY KEY (sync_id, execution_id, batch, first_row))"
    )
    row_type: ClassVar[str] = "INTEGER"
    column_types: ClassVar[dict[str, str]] = {
        "boolean": "BOOLEAN",
        "int16": "INTEGER",
        "int32": "INTEGER",
        "int64": "INTEGER",
        "uint64": "INTEGER",
        "float32": "REAL",
        "float64": "REAL",
        "decimal": "NUMERIC({precision},{scale})",
        "string": "TEXT",
        "binary": "BLOB",
        "timestamptz": "TIMESTAMP",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "time": "TEXT",
        "duration": "TEXT",
        "json": "JSON",
    }

    def _connect(self) -> DbConnection:
        """Open the file read-write (the connector's own connections only read);
        a missing file is an error, never a new database."""
        config = self.target.config
        assert isinstance(config, SqliteConfig)
        try:
            return open_database(
                config.path,
                "rw",
                isolation_level=None,
                # The writer is used by one thread at a time, not always the opening one.
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise ConnectionCheckFailed(self.target.scrub(str(exc))) from None

    def _is_record_fault(self, exc: Exception) -> bool:
        # Constraints, type mismatches and STRICT tables' refusals are
        # IntegrityError; values too big are DataError.
        return isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError)

    def _is_broken(self) -> bool:
        return False

    def _unique_keys(self, ref: TableRef) -> list[UniqueKey]:
        rows = self.fetch(
            "SELECT il.name, il.partial, ii.name FROM pragma_index_list(?, ?) AS il"
            ' JOIN pragma_index_info(il.name, ?) AS ii WHERE il."unique"',
            [ref.name, ref.schema, ref.schema],
        )
        keys: dict[str, list[tuple[Any, Any]]] = {}
        for index, partial, column in rows:
            keys.setdefault(index, []).append((partial, column))
        found = [
            UniqueKey(
                frozenset(str(c) for _, c in parts if c is not None),
                usable=all(not partial and c is not None for partial, c in parts),
            )
            for parts in keys.values()
        ]
        # An INTEGER PRIMARY KEY is the rowid and has no index of its own.
        primary = self.fetch(
            "SELECT name FROM pragma_table_info(?, ?) WHERE pk > 0", [ref.name, ref.schema]
        )
        if primary:
            found.append(UniqueKey(frozenset(str(name) for (name,) in primary)))
        return found

    def _create_replace_stage(self, stage: TableRef, ref: TableRef) -> None:
        # SQLite keeps a table's definition only as its CREATE text.
        rows = self.fetch(
            f"SELECT sql FROM {self.q(ref.schema)}.sqlite_schema WHERE type = 'table' AND name = ?",
            [ref.name],
        )
        self.execute(renamed_create_table(str(rows[0][0]), self.qualified(stage)))

    def _load(self, table: TableRef, columns: Sequence[str], rows: Sequence[Row]) -> None:
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(self.q(column) for column in columns)
        self.conn.executemany(
            f"INSERT INTO {self.qualified(table)} ({names}) VALUES ({marks})", rows
        )

    def _converter(self, column: WriteColumn, existing: Column) -> Converter | None:
        arrow_type = column.arrow_type
        if is_nested(arrow_type):
            return json_text
        if pa.types.is_decimal(arrow_type):
            return str
        if pa.types.is_temporal(arrow_type):
            return iso_text
        return None

    def bind(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return iso_text(value)

    def like(self, expr: str, pattern: Pattern) -> Clause:
        # GLOB is SQLite's case-sensitive LIKE.
        return f"{expr} GLOB ?", [glob_text(pattern)]

    def delete_sql(self, tables: MergeTables, where: Clause | None) -> Clause:
        # DELETE takes no join in SQLite; IN (subquery) still uses the target's index.
        identity = ", ".join(tables.identity)
        staged = ", ".join(f"s.{c}" for c in tables.identity)
        sql = (
            f"DELETE FROM {tables.target} WHERE ({identity}) IN"
            f" (SELECT {staged} FROM {tables.stage} AS s)"
        )
        return restrict(sql, where)

    def delete_filter_alias(self, tables: MergeTables) -> str:
        return tables.target
