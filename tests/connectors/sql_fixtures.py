"""Helpers for the SQL connector tests: isolated schemas on the real servers.

Every test module creates its own uniquely named PostgreSQL schema, MariaDB
database or SQLite file and drops it afterwards, so modules never see each
other's tables. Imported explicitly by the SQL connector test modules.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pymysql

from syncline.connectors.registry import connector_class
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.target import SqlTarget

NUMBER_ROWS = 2500


def unique_name(prefix: str) -> str:
    """A lower-case identifier no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_connector(type_id: str, config: dict[str, Any]) -> Any:
    """A SQL connector (source and target sides) of `type_id` from a plain config dict."""
    cls = connector_class(type_id)
    connector = cls(cls.config_model.model_validate(config))
    assert isinstance(connector, SqlSource)
    assert isinstance(connector, SqlTarget)
    return connector


# ------------------------------------------------------------ admin sessions


@contextmanager
def pg_admin(pg_config: dict[str, Any]) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser session on the test PostgreSQL database."""
    conn = psycopg.connect(
        host=pg_config["hostname"],
        port=pg_config["port"],
        dbname=pg_config["database"],
        user=pg_config["username"],
        autocommit=True,
    )
    with conn:
        yield conn


@contextmanager
def mysql_admin(
    mysql_config: dict[str, Any], database: str | None = None
) -> Iterator[pymysql.cursors.Cursor]:
    """An autocommit root cursor on the test MariaDB server."""
    conn = pymysql.connect(
        host=mysql_config["hostname"],
        port=mysql_config["port"],
        user=mysql_config["account"],
        password=mysql_config["passwd"],
        database=database,
        autocommit=True,
    )
    with closing(conn), conn.cursor() as cursor:
        yield cursor


def pg_backend_alive(pg_config: dict[str, Any], pid: int) -> bool:
    """Whether a PostgreSQL backend process still serves a connection."""
    with pg_admin(pg_config) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return bool(row.fetchone() == (1,))


def mysql_connection_alive(mysql_config: dict[str, Any], connection_id: int) -> bool:
    """Whether a MariaDB connection id is still in the process list."""
    with mysql_admin(mysql_config) as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = %s", [connection_id]
        )
        return cursor.fetchone() == (1,)


def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# ------------------------------------------------------------ worlds


@dataclass
class SqlWorld:
    """An isolated schema holding the tables every SQL connector test shares.

    `people(id PK, name NOT NULL, score)` with 3 rows, the view
    `people_view`, and `numbers(n PK)` holding 1..2500.
    """

    type_id: str
    schema: str
    connector: Any
    run: Callable[[str], None]

    def table(self, name: str) -> str:
        """The `schema.table` value of one of the world's tables."""
        return f"{self.schema}.{name}"


def _common_ddl(prefix: str) -> list[str]:
    return [
        f"CREATE TABLE {prefix}people (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL,"
        " score INTEGER)",
        f"INSERT INTO {prefix}people VALUES (1, 'Ann', 10), (2, 'Bob', NULL), (3, 'Cy', 30)",
        f"CREATE VIEW {prefix}people_view AS SELECT id, name FROM {prefix}people",
        f"CREATE TABLE {prefix}numbers (n INTEGER PRIMARY KEY)",
    ]


def _number_rows() -> Sequence[tuple[int]]:
    return [(n,) for n in range(1, NUMBER_ROWS + 1)]


@contextmanager
def pg_world(pg_config: dict[str, Any], extra_ddl: Sequence[str] = ()) -> Iterator[SqlWorld]:
    """A fresh PostgreSQL schema with the shared tables and `extra_ddl`
    (where `{s}` stands for the quoted schema)."""
    schema = unique_name("sl_pg")
    with pg_admin(pg_config) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            for statement in _common_ddl(f'"{schema}".'):
                conn.execute(statement)
            with conn.cursor() as cursor:
                cursor.executemany(f'INSERT INTO "{schema}".numbers VALUES (%s)', _number_rows())
            for statement in extra_ddl:
                conn.execute(statement.format(s=f'"{schema}"'))

            def run(sql: str) -> None:
                conn.execute(sql.format(s=f'"{schema}"'))

            yield SqlWorld("postgresql", schema, make_connector("postgresql", pg_config), run)
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def mysql_world(mysql_config: dict[str, Any], extra_ddl: Sequence[str] = ()) -> Iterator[SqlWorld]:
    """A fresh MariaDB database (the connection's `dbname`) with the shared
    tables and `extra_ddl` (where `{s}` stands for the quoted database)."""
    schema = unique_name("sl_my")
    with mysql_admin(mysql_config) as cursor:
        cursor.execute(f"CREATE DATABASE `{schema}`")
        try:
            for statement in _common_ddl(f"`{schema}`."):
                cursor.execute(statement)
            cursor.executemany(f"INSERT INTO `{schema}`.numbers VALUES (%s)", _number_rows())
            for statement in extra_ddl:
                cursor.execute(statement.format(s=f"`{schema}`"))

            def run(sql: str) -> None:
                cursor.execute(sql.format(s=f"`{schema}`"))

            config = {**mysql_config, "dbname": schema}
            yield SqlWorld("mysql", schema, make_connector("mysql", config), run)
        finally:
            cursor.execute(f"DROP DATABASE `{schema}`")


@contextmanager
def sqlite_world(directory: Path, extra_ddl: Sequence[str] = ()) -> Iterator[SqlWorld]:
    """A fresh SQLite file with the shared tables and `extra_ddl`
    (where `{s}` stands for `main`)."""
    import sqlite3

    path = directory / f"{unique_name('sl_lite')}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in _common_ddl("main."):
            conn.execute(statement)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO main.numbers VALUES (?)", _number_rows())
        conn.execute("COMMIT")
        for statement in extra_ddl:
            conn.execute(statement.format(s="main"))

        def run(sql: str) -> None:
            conn.execute(sql.format(s="main"))

        yield SqlWorld("sqlite", "main", make_connector("sqlite", {"path": str(path)}), run)
    finally:
        conn.close()
