"""The SQLite source side: query columns through a temporary view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncline.connectors.sql.catalog import Column
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.stream import Fetch
from syncline.connectors.sqlite.connection import SqliteConnection

DESCRIBE_VIEW = "_syncline_describe"
SAMPLE_ROWS = 100
_STORAGE_CLASSES = {"integer": "INTEGER", "real": "REAL", "text": "TEXT", "blob": "BLOB"}


class SqliteSource(SqliteConnection, SqlSource):
    """SQLite tables, views and queries as model sources."""

    def _query_columns(self, conn: DbConnection, query: str) -> list[Column]:
        """Declared types of a temporary view over the query; a column without
        one (an expression) takes the storage class of its first non-null value
        among the first rows, and stays untyped (text) if they are all null."""
        view = f"temp.{self.quote(DESCRIBE_VIEW)}"
        conn.execute(f"DROP VIEW IF EXISTS {view}")
        conn.execute(f"CREATE TEMP VIEW {self.quote(DESCRIBE_VIEW)} AS {query}")
        try:
            info = conn.execute(f"PRAGMA temp.table_info({self.quote(DESCRIBE_VIEW)})").fetchall()
            names = [row[1] for row in info]
            declared = [row[2] or "" for row in info]
            if not all(declared):
                declared = self._sampled_types(conn, view, names, declared)
        finally:
            conn.execute(f"DROP VIEW IF EXISTS {view}")
        return [Column(name=n, remote_type=t) for n, t in zip(names, declared, strict=True)]

    def _sampled_types(
        self, conn: DbConnection, view: str, names: list[str], declared: list[str]
    ) -> list[str]:
        probes = ", ".join(f"typeof({self.quote(name)})" for name in names)
        rows = conn.execute(f"SELECT {probes} FROM {view} LIMIT {SAMPLE_ROWS}").fetchall()
        result = list(declared)
        for index, current in enumerate(declared):
            if current:
                continue
            seen = (row[index] for row in rows if row[index] != "null")
            result[index] = _STORAGE_CLASSES.get(next(seen, ""), "")
        return result

    def _start_stream(
        self, conn: DbConnection, sql: str, params: Sequence[Any], batch_size: int
    ) -> Fetch:
        cursor = conn.execute(sql, list(params))

        def fetch() -> Sequence[Sequence[Any]]:
            rows: Sequence[Sequence[Any]] = cursor.fetchmany(batch_size)
            return rows

        return fetch
