"""`WriteDialect`: what a SQL writer needs from its database.

Declared once here, filled in by `postgresql/writer.py`, `mysql/writer.py`
and `sqlite/writer.py`. Data-like differences are class variables; the
statement builders default to the PostgreSQL spelling (`UPDATE ... FROM`,
`ON CONFLICT`, `DELETE ... USING`), which dialects override where theirs
differs.

Records reach a table through `_load` (rows of driver values) and, in
dialects with `loads_arrow`, through `_load_arrow` (a whole Arrow batch
handed to the database in one bulk operation, never turned into Python
values).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa

from syncline.connectors.sql import ddl
from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.checks import CheckConstraint
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.like import Pattern
from syncline.connectors.sql.merge import MergeTables, assigned_value, join
from syncline.connectors.sql.screen import ColumnLimits
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sql.target_filter import Clause
from syncline.connectors.sql.uniques import UniqueIndex
from syncline.connectors.sql.values import Converter
from syncline.connectors.writing import WriteColumn
from syncline.errors import ConnectorError

Row = tuple[Any, ...]


class BulkRefused(Exception):
    """`_load_arrow` could not load every record exactly as given, for a
    reason that is not a driver error of its own: the database took a bad
    value with a warning instead of an error (MySQL's `LOAD DATA LOCAL`), or
    it does not allow the bulk operation. The writer rolls the attempt back
    and applies the batch by rows, which finds the records at fault.

    `fault` is set when the database said a record is certainly refused
    (a warning that is an error for a statement, such as a CHECK failed).
    """

    def __init__(self, message: str, fault: str | None = None) -> None:
        super().__init__(message)
        self.fault = fault


@dataclass(frozen=True)
class UniqueKey:
    """A unique index or constraint of a table.

    `usable` is false when it cannot serve as an upsert's conflict target:
    partial, on expressions or prefixes, or deferrable.
    """

    columns: frozenset[str]
    usable: bool = True


class WriteDialect(ABC):
    """Hooks and statement spellings of one database for `SqlWriter`."""

    begin_sql: ClassVar[str] = "BEGIN"
    temp_schema: ClassVar[str | None] = None
    """Schema of temporary tables; None: the target's own schema (MySQL)."""
    create_temp_sql: ClassVar[str] = "CREATE TEMPORARY TABLE {name} AS {select}"
    stage_column_sql: ClassVar[str] = "t.{column}"
    """A staging table column as selected from the target `t` to copy its type;
    the copy must accept NULL (PostgreSQL and SQLite drop NOT NULL anyway)."""
    row_type: ClassVar[str] = "BIGINT"
    """The type of the staging table's record index column, as `CAST` spells it."""
    clear_stage_sql: ClassVar[str] = "DELETE FROM {stage}"
    screen_settings_sql: ClassVar[str | None] = None
    """Run in the savepoint of a set-wise screen, undone with it: settings
    that suit its queries."""
    """Empties the temporary staging table at the start of each batch's transaction."""
    column_types: ClassVar[Mapping[str, str]]
    """The type of a new column by the kind of its values (`ddl.arrow_kind`)."""
    identity_column_types: ClassVar[Mapping[str, str]] = {}
    """Overrides of `column_types` for identity (key) columns."""
    loads_arrow: ClassVar[bool] = False
    """Whether the dialect implements `_can_load_arrow` and `_load_arrow`."""
    commit_table_sql: ClassVar[str] = (
        "CREATE TABLE IF NOT EXISTS {table} (sync_id text NOT NULL, execution_id text NOT NULL,"
        " batch bigint NOT NULL, first_row bigint NOT NULL, outcomes text NOT NULL,"
        " committed_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (sync_id, execution_id, batch, first_row))"
    )
    """Creates the commit markers table (`sql.markers`) when it is missing."""

    target: SqlTarget
    conn: DbConnection
    placeholder: str

    # ------------------------------------------------------------ connection

    @abstractmethod
    def _connect(self) -> DbConnection:
        """A read-write connection in autocommit mode (transactions are explicit).

        Raises `ConnectionCheckFailed` when the database cannot be reached.
        """

    @abstractmethod
    def _is_record_fault(self, exc: Exception) -> bool:
        """Whether a driver error was caused by the records (a constraint, a
        value the column refuses) rather than by the target or the connection."""

    @abstractmethod
    def _is_broken(self) -> bool:
        """Whether the connection is unusable after an error."""

    # ------------------------------------------------------------ schema

    def column_type(self, arrow_type: pa.DataType, *, identity: bool) -> str:
        """The column type a new column holding `arrow_type` values gets."""
        return ddl.column_type(
            arrow_type, self.column_types, self.identity_column_types if identity else {}
        )

    @abstractmethod
    def _unique_keys(self, ref: TableRef) -> list[UniqueKey]:
        """The unique keys (primary key included) of a table."""

    @abstractmethod
    def _create_replace_stage(self, stage: TableRef, ref: TableRef) -> None:
        """Create `stage` with the definition of `ref`: its columns, defaults,
        NOT NULL, CHECK and unique constraints, so a record the target would
        refuse is refused while staging, never during the final swap."""

    def _column_limits(self, column: Column) -> ColumnLimits | None:
        """What values `column` refuses for certain (see `sql.screen`); None
        when the dialect knows no such rule for its type."""
        return None

    def _check_constraints(self, ref: TableRef) -> list[CheckConstraint]:
        """The CHECK constraints of `ref` (see `sql.checks`); none by default."""
        return []

    def _has_triggers(self, ref: TableRef) -> bool:
        """Whether a user trigger may change or refuse rows of `ref`."""
        return True

    def _unique_indexes(self, ref: TableRef) -> list[UniqueIndex] | None:
        """The unique indexes of `ref` (primary key included) when every one
        can be decided set-wise and nothing but NOT NULL, CHECK and column
        types refuses a record before them (see `sql.uniques`); else None.
        None by default."""
        return None

    def _duplicate_value_sql(
        self, index: UniqueIndex, columns: Mapping[str, Column], values: Sequence[str]
    ) -> str | None:
        """SQL spelling the key values `values` (expressions for `index.columns`)
        as the database's message on a clash shows them; None when it needs none
        or they cannot be spelt exactly."""
        return None

    def _duplicate_key(self, message: str) -> str | None:
        """The name of the unique index `message` says a record clashed on, if it says so."""
        return None

    def _duplicate_message(self, index: UniqueIndex, value: str | None) -> str | None:
        """The database's message for a record clashing on `index`, whose key
        values `_duplicate_value_sql` spelt `value`; None when not known exactly."""
        return None

    def upsert_usable(self, keys: Sequence[UniqueKey], identity: frozenset[str]) -> bool:
        """Whether an upsert may rely on `keys` to find the row of an identity."""
        return any(key.usable and key.columns == identity for key in keys)

    # ------------------------------------------------------------ values

    @abstractmethod
    def _load(self, table: TableRef, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert `rows` (values of `columns`, in order) into `table` in bulk."""

    def _can_load_arrow(self, ref: TableRef, columns: Sequence[tuple[pa.DataType, Column]]) -> bool:
        """Whether `_load_arrow` can write to `ref` (and to the staging tables
        made from it) Arrow values of each type into its column, storing
        exactly what `_load` stores for the same values after `_converter`.
        Asked once when a writer opens, only when `loads_arrow`."""
        return False

    def _load_arrow(self, table: TableRef, columns: Sequence[str], batch: pa.RecordBatch) -> None:
        """Insert every record of `batch` (its columns are the values of
        `columns`, in order) into `table` in one bulk operation.

        Raises the driver's error when the database refuses a record, and
        `BulkRefused` when it took the records other than exactly as given.
        """
        raise NotImplementedError(f"{type(self).__name__} does not load Arrow batches")

    @abstractmethod
    def _converter(self, column: WriteColumn, existing: Column) -> Converter | None:
        """How values of `column` become driver values for the `existing` table column."""

    @abstractmethod
    def bind(self, value: Any) -> Any:
        """A Python value (str, int, Decimal, bool, date, aware datetime) as the driver binds it."""

    # ------------------------------------------------------------ filter hooks

    @abstractmethod
    def like(self, expr: str, pattern: Pattern) -> Clause:
        """A case-sensitive match of `expr` against `pattern`."""

    def empty_text(self, expr: str) -> str:
        """SQL true when `expr`, read as text, is `''`."""
        return f"{expr} = ''"

    def array_contains(self, expr: str, value: Any) -> Clause:
        """Refused: only PostgreSQL has array columns."""
        raise ConnectorError(f"{self.target.name} has no array columns to filter on")

    # ------------------------------------------------------------ statements

    def q(self, name: str) -> str:
        """An identifier quoted for a statement run with bound values."""
        return self.target.bindable(self.target.quote(name))

    def qualified(self, ref: TableRef) -> str:
        """`schema.table` quoted for a statement run with bound values."""
        return f"{self.q(ref.schema)}.{self.q(ref.name)}"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement; values are always bound (so `%` in names is doubled).

        Guarded by the target's call limits (`SqlConnection._watched`)."""
        with self.target._watched(self.conn):
            cursor = self.conn.cursor()
            try:
                cursor.execute(sql, list(params))
            finally:
                cursor.close()

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return its (small) result (guarded as `execute`)."""
        with self.target._watched(self.conn):
            cursor = self.conn.cursor()
            try:
                cursor.execute(sql, list(params))
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()

    def update_sql(self, tables: MergeTables, where: Clause | None) -> Clause:
        """Update matching target rows (alias `t`) from the staged records (`s`),
        restricted by `where` over `t`."""
        sets = ", ".join(
            f"{a.column} = {assigned_value(a, f't.{a.column}', f's.{a.column}', self.empty_text)}"
            for a in tables.assignments
        )
        sql = (
            f"UPDATE {tables.target} AS t SET {sets} FROM {tables.stage} AS s WHERE {join(tables)}"
        )
        return restrict(sql, where)

    def upsert_sql(self, tables: MergeTables) -> Clause:
        """Insert the staged records, updating the rows whose identity exists."""
        columns = ", ".join(tables.columns)
        values = ", ".join(f"s.{c}" for c in tables.columns)
        sets = ", ".join(
            f"{a.column} = "
            + assigned_value(a, f"t.{a.column}", f"excluded.{a.column}", self.empty_text)
            for a in tables.assignments
        )
        # `WHERE 1 = 1` keeps SQLite from reading ON CONFLICT as a join constraint.
        return (
            f"INSERT INTO {tables.target} AS t ({columns}) SELECT {values}"
            f" FROM {tables.stage} AS s WHERE 1 = 1"
            f" ON CONFLICT ({', '.join(tables.identity)}) DO UPDATE SET {sets}",
            [],
        )

    def delete_sql(self, tables: MergeTables, where: Clause | None) -> Clause:
        """Delete the target rows (alias `t`) matching a staged record and `where`."""
        sql = f"DELETE FROM {tables.target} AS t USING {tables.stage} AS s WHERE {join(tables)}"
        return restrict(sql, where)

    def delete_filter_alias(self, tables: MergeTables) -> str:
        """How `delete_sql`'s filter refers to the target table."""
        return "t"


def restrict(sql: str, where: Clause | None, keyword: str = "AND") -> Clause:
    """`sql` with `keyword (condition)` appended when there is a condition."""
    if where is None:
        return sql, []
    return f"{sql} {keyword} ({where[0]})", list(where[1])
