"""Opening SQLite database files read-only and reading their catalog.

A schema is an attached database: `main`, plus any attached by the file's
own connection setup (the `temp` schema is never listed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from syncline.connectors.compatibility import ValueDomain
from syncline.connectors.sql.catalog import Column, RelationKind, TableRef
from syncline.connectors.sql.connection import (
    CONNECT_TIMEOUT_SECONDS,
    DbConnection,
    SqlConnection,
)
from syncline.connectors.sql.types import TypeMapping
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.connectors.sqlite.types import sqlite_domain, sqlite_type
from syncline.errors import ConnectionCheckFailed

_USER_RELATIONS = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"


_ATTACHING = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})


def _no_other_files(action: int, *_: str | None) -> int:
    # ATTACH (and VACUUM INTO, which attaches its output) would open or create
    # another file of the server; a connection only ever touches its own file.
    return sqlite3.SQLITE_DENY if action in _ATTACHING else sqlite3.SQLITE_OK


def open_database(path: str, mode: Literal["ro", "rw"], **options: Any) -> sqlite3.Connection:
    """Open the existing database file `path` (read-only or read-write).

    A missing file raises `ConnectionCheckFailed`: it is never created. The
    connection refuses to attach other files. `path` was confined to the
    server's local roots by the service layer before it reached the connector.
    """
    file = Path(path)
    if not file.is_file():
        raise ConnectionCheckFailed(f"database file {path!r} does not exist")
    conn: sqlite3.Connection = sqlite3.connect(
        f"{file.as_uri()}?mode={mode}", uri=True, timeout=CONNECT_TIMEOUT_SECONDS, **options
    )
    conn.set_authorizer(_no_other_files)
    return conn


class SqliteConnection(SqlConnection):
    """The SQLite dialect: `sqlite3` connections and `PRAGMA` table functions."""

    config: SqliteConfig
    placeholder = "?"
    # A local file has no server to stop answering; a cancel takes effect between batches.
    guards_calls = False

    @property
    def default_schema(self) -> str:
        """A table value without a schema is in `main`."""
        return "main"

    def _open(self) -> DbConnection:
        """Open the file read-only; a missing file is an error, never a new database."""
        # A reader may be handed to another thread (the engine reads ahead on
        # one); it is only ever used by one thread at a time.
        return open_database(self.config.path, "ro", check_same_thread=False)

    def _open_writable(self) -> DbConnection:
        return open_database(self.config.path, "rw", isolation_level=None)

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error,)

    def _error_message(self, exc: Exception) -> str:
        return str(exc) or type(exc).__name__

    def _ping(self, conn: DbConnection) -> None:
        """Read the schema table: unlike `SELECT 1` it proves the file is a database."""
        self._fetch_all(conn, "SELECT count(*) FROM sqlite_schema")

    def map_type(self, type_name: str) -> TypeMapping:
        return sqlite_type(type_name)

    @classmethod
    def value_domain(cls, remote_type: str) -> ValueDomain:
        return sqlite_domain(remote_type)

    def _schemas(self, conn: DbConnection) -> list[str]:
        rows = self._fetch_all(conn, "SELECT name FROM pragma_database_list ORDER BY seq")
        return [name for (name,) in rows if name != "temp"]

    def _tables(
        self, conn: DbConnection, schemas: Sequence[str] | None, *, views: bool
    ) -> list[TableRef]:
        kinds = "('table', 'view')" if views else "('table')"
        tables: list[TableRef] = []
        for schema in self._schemas(conn) if schemas is None else schemas:
            rows = self._fetch_all(
                conn,
                f"SELECT name FROM {self.quote(schema)}.sqlite_schema"
                f" WHERE type IN {kinds} AND {_USER_RELATIONS} ORDER BY name",
            )
            tables.extend(TableRef(schema, name) for (name,) in rows)
        return tables

    def _relation_kind(self, conn: DbConnection, ref: TableRef) -> RelationKind | None:
        if ref.schema not in self._schemas(conn):
            return None
        rows = self._fetch_all(
            conn,
            f"SELECT type FROM {self.quote(ref.schema)}.sqlite_schema"
            f" WHERE type IN ('table', 'view') AND name = ? AND {_USER_RELATIONS}",
            [ref.name],
        )
        if not rows:
            return None
        return "view" if rows[0][0] == "view" else "table"

    def _columns(self, conn: DbConnection, ref: TableRef) -> list[Column]:
        rows = self._fetch_all(
            conn,
            'SELECT name, type, "notnull", dflt_value, pk, hidden'
            " FROM pragma_table_xinfo(?, ?) WHERE hidden <> 1 ORDER BY cid",
            [ref.name, ref.schema],
        )
        keys = [row[0] for row in rows if row[4]]
        unique = self._unique_columns(conn, ref) | (set(keys) if len(keys) == 1 else set())
        columns = []
        for name, declared, notnull, default, pk, hidden in rows:
            rowid_alias = bool(pk) and len(keys) == 1 and str(declared).upper() == "INTEGER"
            columns.append(
                Column(
                    name=name,
                    remote_type=declared,
                    nullable=not notnull and not rowid_alias,
                    unique=name in unique,
                    has_default=default is not None or rowid_alias,
                    generated=hidden in (2, 3),
                )
            )
        return columns

    def _unique_columns(self, conn: DbConnection, ref: TableRef) -> set[str]:
        """Columns alone in a unique, non-partial index (primary keys included)."""
        rows = self._fetch_all(
            conn,
            "SELECT max(ii.name) FROM pragma_index_list(?, ?) AS il"
            " JOIN pragma_index_info(il.name, ?) AS ii"
            ' WHERE il."unique" AND NOT il.partial'
            " GROUP BY il.name HAVING count(*) = 1",
            [ref.name, ref.schema, ref.schema],
        )
        return {name for (name,) in rows if name is not None}
