"""Helpers for the SQL writer tests: one isolated schema per database, a
fresh table per test, and plain SQL to set up and inspect tables.

Imported explicitly by the `test_sql_writers*` modules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pymysql

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import BatchResult, RecordResult, WriteColumn, WritePlan
from tests.connectors.sql_fixtures import make_connector, unique_name

DIALECTS = ["postgresql", "mysql", "sqlite"]

PEOPLE_DDL = "(id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score INTEGER)"
PEOPLE_ROWS = "(1, 'Ann', 10), (2, 'Bob', NULL), (3, 'Cy', 30)"
PEOPLE = (
    WriteColumn("id", pa.int64()),
    WriteColumn("name", pa.string()),
    WriteColumn("score", pa.int64()),
)
"""The columns of a `PEOPLE_DDL` table as a plan writes them."""

INS, UPD, DEL, SKIP, NF, REJ = (
    RecordResult.INSERTED,
    RecordResult.UPDATED,
    RecordResult.DELETED,
    RecordResult.SKIPPED,
    RecordResult.NOT_FOUND,
    RecordResult.REJECTED,
)


@dataclass
class Table:
    """A table made for one test: its target id and its quoted name for SQL."""

    id: str
    name: str
    sql: str


@dataclass
class Db:
    """One database under test: its connector, and an admin session running
    SQL with autocommit beside the writer's own connection."""

    type_id: str
    schema: str
    connector: Any
    execute: Callable[[str], list[tuple[Any, ...]]]
    quote: str

    def q(self, name: str) -> str:
        """An identifier quoted for this database."""
        return f"{self.quote}{name}{self.quote}"

    def table(self, ddl: str = PEOPLE_DDL, rows: str | None = PEOPLE_ROWS) -> Table:
        """A new uniquely named table with columns `ddl` and `rows` inserted."""
        name = unique_name("w")
        table = Table(f"{self.schema}.{name}", name, f"{self.q(self.schema)}.{self.q(name)}")
        self.execute(f"CREATE TABLE {table.sql} {ddl}")
        if rows:
            self.execute(f"INSERT INTO {table.sql} VALUES {rows}")
        return table

    def rows(self, table: Table, columns: str = "*", order: str = "id") -> list[tuple[Any, ...]]:
        """Every row of `table` as tuples, ordered."""
        return self.execute(f"SELECT {columns} FROM {table.sql} ORDER BY {order}")

    def tables(self) -> set[str]:
        """Names of the tables of this schema, as the connector lists them."""
        prefix = f"{self.schema}."
        objects = self.connector.target_objects()
        return {ref.id.removeprefix(prefix) for ref in objects if ref.id.startswith(prefix)}

    def write(self, plan: WritePlan, *batches: dict[str, list[Any]]) -> list[BatchResult]:
        """Open a writer for `plan`, write `batches`, finish and close."""
        with self.connector.open_writer(plan) as writer:
            results = [writer.write(batch_of(plan, batch)) for batch in batches]
            writer.finish()
        return results


def batch_of(plan: WritePlan, values: dict[str, list[Any]]) -> pa.RecordBatch:
    """A record batch of the plan's columns and types."""
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in plan.columns])
    return pa.RecordBatch.from_pydict(values, schema=schema)


def plan_for(
    table: Table,
    mode: SyncMode,
    columns: Sequence[WriteColumn] = PEOPLE,
    identity: Sequence[str] = ("id",),
    **options: Any,
) -> WritePlan:
    """A plan writing `columns` to `table`; modes without identity get none."""
    needs_identity = mode in (
        SyncMode.CREATE,
        SyncMode.UPDATE,
        SyncMode.UPDATE_OR_CREATE,
        SyncMode.REMOVE,
    )
    return WritePlan(
        object_id=table.id,
        mode=mode,
        columns=tuple(columns),
        identity=tuple(identity) if needs_identity else (),
        **options,
    )


@contextmanager
def database(
    type_id: str, pg_config: dict[str, Any], mysql_config: dict[str, Any], directory: Path
) -> Iterator[Db]:
    """An isolated schema (PostgreSQL), database (MariaDB) or file (SQLite)."""
    if type_id == "postgresql":
        with _postgresql(pg_config) as db:
            yield db
    elif type_id == "mysql":
        with _mysql(mysql_config) as db:
            yield db
    else:
        with _sqlite(directory) as db:
            yield db


@contextmanager
def _postgresql(config: dict[str, Any]) -> Iterator[Db]:
    schema = unique_name("slw_pg")
    conn = psycopg.connect(
        host=config["hostname"],
        port=config["port"],
        dbname=config["database"],
        user=config["username"],
        autocommit=True,
    )
    with conn:

        def execute(sql: str) -> list[tuple[Any, ...]]:
            cursor = conn.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

        execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield Db("postgresql", schema, make_connector("postgresql", config), execute, '"')
        finally:
            execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def _mysql(config: dict[str, Any]) -> Iterator[Db]:
    schema = unique_name("slw_my")
    conn = pymysql.connect(
        host=config["hostname"],
        port=config["port"],
        user=config["account"],
        password=config["passwd"],
        autocommit=True,
        init_command="SET time_zone = '+00:00'",
    )
    with closing(conn):

        def execute(sql: str) -> list[tuple[Any, ...]]:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())

        execute(f"CREATE DATABASE `{schema}`")
        try:
            connector = make_connector("mysql", {**config, "dbname": schema})
            yield Db("mysql", schema, connector, execute, "`")
        finally:
            execute(f"DROP DATABASE `{schema}`")


@contextmanager
def _sqlite(directory: Path) -> Iterator[Db]:
    path = directory / f"{unique_name('slw')}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    with closing(conn):

        def execute(sql: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql).fetchall()

        yield Db("sqlite", "main", make_connector("sqlite", {"path": str(path)}), execute, '"')
