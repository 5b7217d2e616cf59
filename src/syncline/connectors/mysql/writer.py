"""Writing to MySQL/MariaDB tables with PyMySQL.

Records reach the database into the table itself (append, snapshot), into
the replace staging table, or into a temporary staging table from which
identity modes merge with `UPDATE ... JOIN`,
`INSERT ... SELECT ... ON DUPLICATE KEY UPDATE` and `DELETE ... JOIN`.

A clean batch is loaded whole by `LOAD DATA LOCAL INFILE` from CSV that
Arrow writes (`_load_arrow`), when the server allows it (`local_infile`) and
the table is InnoDB. The data is sent from memory by `LocalDataConnection`,
which answers the server's request for a file only with the data offered
for the statement being run, never with a file of this machine. `LOCAL`
turns what would be errors into warnings (the server cannot stop the
client mid-file), so a load that warned, or did not insert every record, is
refused (`BulkRefused`) and rolled back, and the batch is written by rows.

Rows of Python values (that path, and columns CSV cannot carry exactly) go
by multi-row `INSERT ... VALUES (...), (...)` statements of up to
`CHUNK_ROWS` rows and roughly `CHUNK_BYTES` of values (`_load`).

The session runs in strict mode, so a value the column cannot hold (too
long, out of range) is an error that rejects its record, never a silent
truncation; and in UTC, so instants are written as UTC wall time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import pyarrow as pa
import pymysql

from syncline.connectors.mysql.connection import MysqlConnection
from syncline.connectors.mysql.load_data import LocalDataConnection
from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.checks import CheckConstraint, referenced
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.dialect import BulkRefused, Row, UniqueKey, restrict
from syncline.connectors.sql.like import LIKE_ESCAPE, Pattern, like_text
from syncline.connectors.sql.merge import MergeTables, assigned_value, join
from syncline.connectors.sql.screen import ColumnLimits
from syncline.connectors.sql.target_filter import Clause
from syncline.connectors.sql.types import parse_type_name
from syncline.connectors.sql.uniques import UniqueIndex
from syncline.connectors.sql.values import (
    Converter,
    arrow_loadable,
    csv_pieces,
    is_nested,
    json_text,
    utc_naive,
)
from syncline.connectors.sql.writer import SqlWriter
from syncline.connectors.writing import WriteColumn
from syncline.errors import ConnectionCheckFailed

CHUNK_ROWS = 1000
CHUNK_BYTES = 4 * 1024 * 1024
"""Bounds of one INSERT statement, well under the default 16 MiB max_allowed_packet."""

RECORD_FAULT_CODES = frozenset(
    {
        1048,  # column cannot be null
        1062,  # duplicate entry
        1216, 1217, 1451, 1452,  # foreign key
        1263, 1264, 1265, 1292, 1366, 1367, 1406, 1411, 1441, 1690,  # bad or too large value
        1300,  # invalid character string
        1364,  # field has no default value
        1644,  # SIGNAL from a trigger
        3140,  # invalid JSON (MySQL)
        3819,  # check constraint violated (MySQL)
        4025,  # CONSTRAINT failed (MariaDB)
    }
)  # fmt: skip
"""Server error codes a record can cause; any other is the target's fault."""

CHECK_FAILED_CODES = frozenset({3819, 4025})
"""A CHECK constraint failed (MySQL, MariaDB): `LOAD DATA LOCAL` warns, a statement fails."""

CERTAIN_FAULT_CODES = CHECK_FAILED_CODES | {1062}
"""Warnings of `LOAD DATA LOCAL` that are errors of a statement loading the same
records: a CHECK failed, or a record was skipped as a duplicate of a unique key."""

LOCAL_REFUSED_CODES = frozenset(
    {
        1148,  # the used command is not allowed (local_infile off)
        2068,  # LOAD DATA LOCAL request rejected (client side)
        3948,  # loading local data is disabled (MySQL 8)
        4166,  # the server or client has disabled the local infile capability (MariaDB)
    }
)
"""Error codes of a `LOAD DATA LOCAL` the server does not allow."""

MAX_SHOWN_KEY = 64
"""The longest key value a duplicate-entry message shows whole."""

_INT_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}

_STRING_SENSITIVE = frozenset({"bit", "enum", "set", "year"})
"""Column types that read a number differently from its digits as a string."""


class MysqlWriter(SqlWriter):
    """A writer for one MySQL or MariaDB table."""

    # CREATE ... AS SELECT keeps NOT NULL of plain columns; through IF() it
    # keeps only type, character set and collation.
    stage_column_sql: ClassVar[str] = "IF(0, NULL, t.{column})"
    row_type: ClassVar[str] = "SIGNED"
    column_types: ClassVar[dict[str, str]] = {
        "boolean": "BOOLEAN",
        "int16": "SMALLINT",
        "int32": "INT",
        "int64": "BIGINT",
        "uint64": "BIGINT UNSIGNED",
        "float32": "FLOAT",
        "float64": "DOUBLE",
        "decimal": "DECIMAL({precision},{scale})",
        "string": "LONGTEXT",
        "binary": "LONGBLOB",
        "timestamptz": "DATETIME(6)",
        "timestamp": "DATETIME(6)",
        "date": "DATE",
        "time": "TIME(6)",
        "duration": "TIME(6)",
        "json": "JSON",
    }
    # A key cannot hold a whole TEXT or BLOB value.
    identity_column_types: ClassVar[dict[str, str]] = {
        "string": "VARCHAR(255)",
        "binary": "VARBINARY(255)",
    }

    loads_arrow: ClassVar[bool] = True
    # InnoDB, whatever the server's default: the markers must roll back with the records.
    commit_table_sql: ClassVar[str] = (
        "CREATE TABLE IF NOT EXISTS {table} (sync_id VARCHAR(64) NOT NULL,"
        " execution_id VARCHAR(64) NOT NULL, batch BIGINT NOT NULL, first_row BIGINT NOT NULL,"
        " outcomes LONGTEXT NOT NULL,"
        " committed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " PRIMARY KEY (sync_id, execution_id, batch, first_row)) ENGINE=InnoDB"
    )

    def _connect(self) -> DbConnection:
        """A `LocalDataConnection` in strict mode."""
        target = self.target
        assert isinstance(target, MysqlConnection)
        try:
            conn = LocalDataConnection(**target._connect_arguments(), local_infile=True)
        except pymysql.err.MySQLError as exc:
            message = target.scrub(target._connect_error_message(exc))
            raise ConnectionCheckFailed(message) from None
        try:
            with target._watched(conn), conn.cursor() as cursor:
                cursor.execute(
                    "SET SESSION sql_mode = "
                    "CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES')"
                )
        except BaseException:
            target._close(conn)
            raise
        return conn

    def _is_record_fault(self, exc: Exception) -> bool:
        return bool(exc.args) and exc.args[0] in RECORD_FAULT_CODES

    def _is_broken(self) -> bool:
        return not self.conn.open

    def _unique_keys(self, ref: TableRef) -> list[UniqueKey]:
        rows = self.fetch(
            "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND NON_UNIQUE = 0"
            " ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            [ref.schema, ref.name],
        )
        keys: dict[str, list[tuple[Any, Any]]] = {}
        for index, column, prefix in rows:
            keys.setdefault(index, []).append((column, prefix))
        return [
            UniqueKey(
                frozenset(str(column) for column, _ in parts if column is not None),
                usable=all(column is not None and prefix is None for column, prefix in parts),
            )
            for parts in keys.values()
        ]

    def upsert_usable(self, keys: Sequence[UniqueKey], identity: frozenset[str]) -> bool:
        """ON DUPLICATE KEY UPDATE fires on a clash with any unique key, so it
        is used only when the identity's key is the table's only one."""
        return bool(keys) and all(key.usable and key.columns == identity for key in keys)

    def _column_limits(self, column: Column) -> ColumnLimits | None:
        """Lengths of `varchar(n)`/`char(n)` (in characters; the session is
        strict), ranges of the integer types, NOT NULL; messages as the server's."""
        parsed = parse_type_name(column.remote_type)
        words = parsed.base.split()
        name = column.name
        limits = ColumnLimits(
            name, not_null=not column.nullable, null_message=f"Column '{name}' cannot be null"
        )
        if words and words[0] in ("varchar", "char") and len(parsed.args) == 1:
            message = f"Data too long for column '{name}' at row 1"
            limits = ColumnLimits(
                **{**limits.__dict__, "max_chars": parsed.args[0], "chars_message": message}
            )
        if words and words[0] in _INT_BITS:
            bits = _INT_BITS[words[0]]
            unsigned = "unsigned" in words[1:]
            span = (0, (1 << bits) - 1) if unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            message = f"Out of range value for column '{name}' at row 1"
            limits = ColumnLimits(
                **{**limits.__dict__, "int_range": span, "range_message": message}
            )
        return limits

    def _check_constraints(self, ref: TableRef) -> list[CheckConstraint]:
        """MariaDB's CHECK constraints (MySQL's catalog has no `LEVEL`: none)."""
        try:
            rows = self.fetch(
                "SELECT CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL"
                " FROM information_schema.CHECK_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s ORDER BY CONSTRAINT_NAME",
                [ref.schema, ref.name],
            )
        except pymysql.err.MySQLError:
            if self._is_broken():
                raise
            return []
        names = {c.name for c in self.target._columns(self.conn, ref)}
        checks = []
        for name, clause, level in rows:
            columns = referenced(str(clause), "`", names)
            if columns is None:
                continue
            shown = f"{ref.name}.{name}" if str(level).lower() == "column" else name
            message = f"CONSTRAINT `{shown}` failed for `{ref.schema}`.`{ref.name}`"
            checks.append(CheckConstraint(str(name), str(clause), columns, message))
        return checks

    def _has_triggers(self, ref: TableRef) -> bool:
        rows = self.fetch(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS"
            " WHERE EVENT_OBJECT_SCHEMA = %s AND EVENT_OBJECT_TABLE = %s",
            [ref.schema, ref.name],
        )
        return bool(rows[0][0])

    def _unique_indexes(self, ref: TableRef) -> list[UniqueIndex] | None:
        """Plain (BTREE, whole-column) unique indexes of a table no foreign key
        involves: strict mode refuses NULL into NOT NULL and the CHECK
        constraints are verified before InnoDB writes the row, whose foreign
        key checks interleave with its unique ones. MariaDB only: every CHECK
        constraint must be one `_check_constraints` reads (MySQL's catalog
        does not tell their tables)."""
        try:
            [(total,)] = self.fetch(
                "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s",
                [ref.schema, ref.name],
            )
        except pymysql.err.MySQLError:
            if self._is_broken():
                raise
            return None
        if int(total) != len(self._check_constraints(ref)):
            return None
        foreign = self.fetch(
            "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS"
            " WHERE CONSTRAINT_SCHEMA = %s AND (TABLE_NAME = %s OR REFERENCED_TABLE_NAME = %s)",
            [ref.schema, ref.name, ref.name],
        )
        if int(foreign[0][0]):
            return None
        rows = self.fetch(
            "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART, INDEX_TYPE"
            " FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND NON_UNIQUE = 0"
            " ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            [ref.schema, ref.name],
        )
        parts: dict[str, list[str]] = {}
        for index, column, prefix, kind in rows:
            if column is None or prefix is not None or str(kind).upper() != "BTREE":
                return None
            parts.setdefault(str(index), []).append(str(column))
        return [UniqueIndex(name, tuple(columns)) for name, columns in parts.items()]

    def _duplicate_value_sql(
        self, index: UniqueIndex, columns: Mapping[str, Column], values: Sequence[str]
    ) -> str | None:
        """The server shows the key's values joined by `-`: spelt here for
        integer and character columns, whose text is what CONCAT_WS gives."""
        for name in index.columns:
            words = parse_type_name(columns[name].remote_type).base.split()
            if not words or words[0] not in (*_INT_BITS, "char", "varchar"):
                return None
        return f"CONCAT_WS('-', {', '.join(values)})"

    def _duplicate_key(self, message: str) -> str | None:
        found = re.fullmatch(r"Duplicate entry '.*' for key '(.+)'", message, re.DOTALL)
        return found.group(1) if found else None

    def _duplicate_message(self, index: UniqueIndex, value: str | None) -> str | None:
        # The server cuts a value past 64 characters (counted in its character
        # set): spelt only when surely shorter.
        if value is None or len(value) > MAX_SHOWN_KEY or not value.isascii():
            return None
        return f"Duplicate entry '{value}' for key '{index.name}'"

    def _create_replace_stage(self, stage: TableRef, ref: TableRef) -> None:
        # LIKE copies columns, defaults, indexes and CHECK constraints.
        self.execute(f"CREATE TABLE {self.qualified(stage)} LIKE {self.qualified(ref)}")

    def _load(self, table: TableRef, columns: Sequence[str], rows: Sequence[Row]) -> None:
        head = (
            f"INSERT INTO {self.qualified(table)} ({', '.join(self.q(c) for c in columns)}) VALUES "
        )
        group = "(" + ", ".join([self.placeholder] * len(columns)) + ")"
        for chunk in _chunks(rows):
            self.execute(head + ", ".join([group] * len(chunk)), [v for row in chunk for v in row])

    def _can_load_arrow(self, ref: TableRef, columns: Sequence[tuple[pa.DataType, Column]]) -> bool:
        """Also needs the server to allow `LOAD DATA LOCAL`, and an InnoDB
        table, so that a refused load is rolled back whole (the replace
        staging table is made like the table).

        LOAD DATA reads every value as a string, where a statement binds
        numbers and booleans as number literals: the same except in BIT,
        ENUM, SET and YEAR columns (`5` is the character '5' in a BIT, a
        member's name rather than its index in an ENUM, `0` is 2000 rather
        than 0000 as a YEAR), so numbers go to those by statements.
        """
        for arrow_type, column in columns:
            name = column.mapped_name
            if not arrow_loadable(arrow_type, self.target.map_type(name), name):
                return False
            literal = not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))
            if literal and parse_type_name(name).base in _STRING_SENSITIVE:
                return False
        [(local_infile, engine)] = self.fetch(
            "SELECT @@local_infile, (SELECT ENGINE FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s)",
            [ref.schema, ref.name],
        )
        return str(local_infile) in ("1", "ON") and str(engine).lower() == "innodb"

    def _load_arrow(self, table: TableRef, columns: Sequence[str], batch: pa.RecordBatch) -> None:
        # Without an escape character, a quoted value is taken verbatim (its
        # quotes doubled) and the unquoted word NULL is NULL. LOAD DATA takes
        # no bound values, so names are quoted as they are.
        name = f"syncline-{uuid.uuid4().hex}.csv"
        sql = (
            f"LOAD DATA LOCAL INFILE '{name}' INTO TABLE {self.target.qualified(table)}"
            " CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"'"
            " ESCAPED BY ''"
            f" ({', '.join(self.target.quote(column) for column in columns)})"
        )
        pieces = csv_pieces([_csv_ready(array) for array in batch.columns], null="NULL")
        try:
            with self.target._watched(self.conn):
                loaded, warnings = self.conn.load_local(sql, name, pieces)
        except pymysql.err.MySQLError as exc:
            if exc.args and exc.args[0] in LOCAL_REFUSED_CODES and not self._is_broken():
                self._bulk = False
                raise BulkRefused("LOAD DATA LOCAL is not allowed") from exc
            raise
        if warnings or loaded != batch.num_rows:
            raise BulkRefused(
                f"LOAD DATA loaded {loaded} of {batch.num_rows} with {warnings} warnings",
                self._certain_fault() if warnings else None,
            )

    def _certain_fault(self) -> str | None:
        """The first warning of the last statement if a statement would have
        failed for it: a CHECK constraint a record broke, or a duplicate key."""
        rows = self.fetch("SHOW WARNINGS LIMIT 1")
        if rows and int(rows[0][1]) in CERTAIN_FAULT_CODES:
            return str(rows[0][2])
        return None

    def _converter(self, column: WriteColumn, existing: Column) -> Converter | None:
        """Instants as UTC wall time (PyMySQL drops offsets); lists and objects as JSON."""
        if pa.types.is_timestamp(column.arrow_type):
            return utc_naive
        if is_nested(column.arrow_type):
            return json_text
        return None

    def bind(self, value: Any) -> Any:
        return utc_naive(value) if isinstance(value, datetime) else value

    def like(self, expr: str, pattern: Pattern) -> Clause:
        # A binary collation makes LIKE case-sensitive whatever the column's
        # collation; converting first makes it apply to any character set.
        return (
            f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin"
            f" LIKE {self.placeholder} ESCAPE '{LIKE_ESCAPE}'",
            [like_text(pattern)],
        )

    def update_sql(self, tables: MergeTables, where: Clause | None) -> Clause:
        sets = ", ".join(
            f"t.{a.column} = {assigned_value(a, f't.{a.column}', f's.{a.column}', self.empty_text)}"
            for a in tables.assignments
        )
        sql = f"UPDATE {tables.target} AS t JOIN {tables.stage} AS s ON {join(tables)} SET {sets}"
        return restrict(sql, where, "WHERE")

    def upsert_sql(self, tables: MergeTables) -> Clause:
        # The target cannot take an alias here; its columns are named in full.
        sets = ", ".join(
            f"{a.column} = "
            + assigned_value(
                a, f"{tables.target}.{a.column}", f"VALUES({a.column})", self.empty_text
            )
            for a in tables.assignments
        )
        columns = ", ".join(tables.columns)
        values = ", ".join(f"s.{c}" for c in tables.columns)
        return (
            f"INSERT INTO {tables.target} ({columns}) SELECT {values} FROM {tables.stage} AS s"
            f" ON DUPLICATE KEY UPDATE {sets}",
            [],
        )

    def delete_sql(self, tables: MergeTables, where: Clause | None) -> Clause:
        sql = f"DELETE t FROM {tables.target} AS t JOIN {tables.stage} AS s ON {join(tables)}"
        return restrict(sql, where, "WHERE")


def _chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    """`rows` in runs of at most `CHUNK_ROWS` rows and about `CHUNK_BYTES`."""
    start, size = 0, 0
    for index, row in enumerate(rows):
        size += sum(len(v) if isinstance(v, str | bytes) else 8 for v in row)
        if index + 1 - start >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield rows[start : index + 1]
            start, size = index + 1, 0
    if start < len(rows):
        yield rows[start:]


def _csv_ready(array: pa.Array) -> pa.Array:
    """A column as PyMySQL would spell its values where Arrow's CSV differs:
    booleans as 1 and 0, narrower floats widened to the double Python holds,
    instants as UTC wall time (as `utc_naive`)."""
    kind = array.type
    if pa.types.is_boolean(kind):
        return array.cast(pa.int8())
    if pa.types.is_float16(kind) or pa.types.is_float32(kind):
        return array.cast(pa.float64())
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return array.cast(pa.timestamp(kind.unit))
    return array
