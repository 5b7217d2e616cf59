"""Connecting to MySQL/MariaDB with PyMySQL and reading `information_schema`."""

from __future__ import annotations

import re
import socket
from collections.abc import Sequence
from typing import Any

from syncline.connectors.compatibility import ValueDomain
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.mysql.types import mysql_domain, mysql_type
from syncline.connectors.sql.catalog import Column, RelationKind, TableRef
from syncline.connectors.sql.connection import (
    CONNECT_TIMEOUT_SECONDS,
    DbConnection,
    SqlConnection,
)
from syncline.connectors.sql.types import TypeMapping

SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")
_TABLE_TYPES = ("BASE TABLE", "SYSTEM VERSIONED")
_RELATION_TYPES = (*_TABLE_TYPES, "VIEW")
KILL_TIMEOUT_SECONDS = 2
"""Bound of each step of the connection sending `KILL QUERY`."""
SOCKET_TIMEOUT_MARGIN = 5.0
"""Seconds past the call timeout after which PyMySQL itself gives up on a silent socket."""
_JSON_CHECK = re.compile(r"json_valid\(`((?:[^`]|``)+)`\)", re.IGNORECASE)


class MysqlConnection(SqlConnection):
    """The MySQL dialect: PyMySQL connections and `information_schema` queries.

    A schema is a database; the configured `dbname` is the default one.
    """

    config: MysqlConfig
    quote_char = "`"
    max_identifier_length = 64

    @property
    def default_schema(self) -> str:
        """A table value without a database is in the configured `dbname`."""
        return self.config.dbname

    def _open(self) -> DbConnection:
        import pymysql

        return pymysql.connect(**self._connect_arguments())

    def _connect_arguments(self) -> dict[str, Any]:
        """PyMySQL's connection arguments for the configuration (with the password)."""
        cfg = self.config
        return {
            "host": cfg.hostname,
            "port": cfg.port,
            "user": cfg.account,
            "password": cfg.passwd.get_secret_value(),
            "database": cfg.dbname,
            "charset": "utf8mb4",
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "autocommit": True,
            # TIMESTAMP values come back as UTC instants (see types.py).
            "init_command": "SET time_zone = '+00:00'",
            # A server that stops answering while connecting is given up too; calls are
            # cut off sooner by their guard (`connectors.calls`).
            "read_timeout": self._socket_timeout(),
            "write_timeout": self._socket_timeout(),
        }

    def _socket_timeout(self) -> float | None:
        """How long PyMySQL waits on its socket: past the call timeout and its grace."""
        timeout = self.call_limits.timeout
        return None if timeout is None else timeout + SOCKET_TIMEOUT_MARGIN

    def _interrupt(self, conn: DbConnection) -> None:
        """`KILL QUERY` of the connection's thread, over a connection of its own whose
        every step is bounded (a frozen server never answers it)."""
        import pymysql

        thread_id = conn.thread_id()
        bounded = {
            "connect_timeout": KILL_TIMEOUT_SECONDS,
            "read_timeout": KILL_TIMEOUT_SECONDS,
            "write_timeout": KILL_TIMEOUT_SECONDS,
        }
        killer = pymysql.connect(**{**self._connect_arguments(), **bounded})
        try:
            with killer.cursor() as cursor:
                cursor.execute(f"KILL QUERY {int(thread_id)}")
        finally:
            killer.close()

    def _sever(self, conn: DbConnection) -> None:
        sock = getattr(conn, "_sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        import pymysql

        return (pymysql.err.MySQLError,)

    def _error_message(self, exc: Exception) -> str:
        args = exc.args
        if len(args) >= 2 and isinstance(args[1], str):
            return args[1]
        return str(exc) or type(exc).__name__

    def _connect_error_message(self, exc: Exception) -> str:
        message = self._error_message(exc)
        if exc.args and exc.args[0] == 2003:
            where = f"{self.config.hostname}:{self.config.port}"
            lowered = message.lower()
            if "refused" in lowered:
                return f"could not connect to {where}: connection refused"
            if "timed out" in lowered:
                return f"could not connect to {where}: timed out after {CONNECT_TIMEOUT_SECONDS} s"
        return message

    def map_type(self, type_name: str) -> TypeMapping:
        return mysql_type(type_name)

    @classmethod
    def value_domain(cls, remote_type: str) -> ValueDomain:
        return mysql_domain(remote_type)

    def _parameter_values(self, conn: DbConnection, parameter: str) -> list[str]:
        return self._schemas(conn)

    def _schemas(self, conn: DbConnection) -> list[str]:
        rows = self._fetch_all(
            conn,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
            " WHERE SCHEMA_NAME NOT IN %s ORDER BY 1",
            [SYSTEM_SCHEMAS],
        )
        return [row[0] for row in rows]

    def _tables(
        self, conn: DbConnection, schemas: Sequence[str] | None, *, views: bool
    ) -> list[TableRef]:
        sql = (
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
            " WHERE TABLE_TYPE IN %s AND TABLE_SCHEMA NOT IN %s"
        )
        params: list[Any] = [_RELATION_TYPES if views else _TABLE_TYPES, SYSTEM_SCHEMAS]
        if schemas is not None:
            if not schemas:
                return []
            sql += " AND TABLE_SCHEMA IN %s"
            params.append(tuple(schemas))
        rows = self._fetch_all(conn, sql + " ORDER BY 1, 2", params)
        return [TableRef(schema, name) for schema, name in rows]

    def _relation_kind(self, conn: DbConnection, ref: TableRef) -> RelationKind | None:
        rows = self._fetch_all(
            conn,
            "SELECT TABLE_TYPE FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND TABLE_TYPE IN %s"
            " AND TABLE_SCHEMA NOT IN %s",
            [ref.schema, ref.name, _RELATION_TYPES, SYSTEM_SCHEMAS],
        )
        if not rows:
            return None
        return "view" if rows[0][0] == "VIEW" else "table"

    def _columns(self, conn: DbConnection, ref: TableRef) -> list[Column]:
        rows = self._fetch_all(
            conn,
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA"
            " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
            " ORDER BY ORDINAL_POSITION",
            [ref.schema, ref.name],
        )
        unique = self._unique_columns(conn, ref)
        json_columns = self._json_columns(conn, ref)
        columns = []
        for name, column_type, is_nullable, default, extra in rows:
            extra_text = str(extra or "").lower()
            columns.append(
                Column(
                    name=name,
                    remote_type="json" if name in json_columns else column_type,
                    nullable=is_nullable == "YES",
                    unique=name in unique,
                    has_default=default is not None or "auto_increment" in extra_text,
                    generated="generated" in extra_text,
                )
            )
        return columns

    def _untransactional(self, conn: DbConnection, ref: TableRef) -> str | None:
        """Only InnoDB tables roll back: a MyISAM or Aria table keeps what a failed
        batch wrote, so no marker committed with it can be trusted. A table not
        made yet gets the server's default engine."""
        rows = self._fetch_all(
            conn,
            "SELECT COALESCE((SELECT ENGINE FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s), @@default_storage_engine)",
            [ref.schema, ref.name],
        )
        engine = str(rows[0][0]) if rows and rows[0][0] is not None else "unknown"
        if engine.lower() == "innodb":
            return None
        return f"it uses the {engine} engine, which has no transactions"

    def _unique_columns(self, conn: DbConnection, ref: TableRef) -> set[str]:
        """Columns alone in a primary key or unique index."""
        rows = self._fetch_all(
            conn,
            "SELECT MAX(COLUMN_NAME) FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND NON_UNIQUE = 0"
            " GROUP BY INDEX_NAME HAVING COUNT(*) = 1",
            [ref.schema, ref.name],
        )
        return {row[0] for row in rows}

    def _json_columns(self, conn: DbConnection, ref: TableRef) -> set[str]:
        """MariaDB's JSON columns: `longtext` with a `json_valid` check (MySQL has a
        real `json` type, already named so by `COLUMN_TYPE`)."""
        if "mariadb" not in str(conn.get_server_info()).lower():
            return set()
        rows = self._fetch_all(
            conn,
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
            " WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s",
            [ref.schema, ref.name],
        )
        found = set()
        for (clause,) in rows:
            match = _JSON_CHECK.fullmatch(str(clause).strip())
            if match:
                found.add(match.group(1).replace("``", "`"))
        return found

    def _close(self, conn: DbConnection) -> None:
        """Close, abandoning any unfinished unbuffered result.

        PyMySQL finishes such a result by reading every remaining row (on
        cursor close and garbage collection); marking it finished and
        dropping the socket makes the server stop sending instead.
        """
        result = getattr(conn, "_result", None)
        if result is not None and getattr(result, "unbuffered_active", False):
            result.unbuffered_active = False
        super()._close(conn)
