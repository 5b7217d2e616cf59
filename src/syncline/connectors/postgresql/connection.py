"""Connecting to PostgreSQL with psycopg 3 and reading its catalog."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from syncline.connectors.compatibility import ValueDomain
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.postgresql.types import ENUM, postgresql_domain, postgresql_type
from syncline.connectors.sql.catalog import Column, RelationKind, TableRef
from syncline.connectors.sql.connection import (
    CONNECT_TIMEOUT_SECONDS,
    DbConnection,
    SqlConnection,
    shut_socket,
)
from syncline.connectors.sql.types import TypeMapping

_USER_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
    " AND n.nspname !~ '^pg_(toast_)?temp_'"
    " AND has_schema_privilege(n.oid, 'USAGE')"
)
"""Schemas a user works in: not the system's, and usable by the role."""

_TABLE_KINDS = "('r', 'p')"
_RELATION_KINDS = "('r', 'p', 'v', 'm', 'f')"


def type_name_sql(typmod: str) -> str:
    """SQL for the name the type mapping reads of type `t` (array element `et`)
    with modifier `typmod`: enums by kind, domains by their base type."""
    return (
        f"CASE WHEN t.typtype = 'e' THEN '{ENUM}'"
        " WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)"
        f" WHEN et.typtype = 'e' THEN '{ENUM}[]'"
        f" ELSE format_type(t.oid, {typmod}) END"
    )


_COLUMNS_SQL = f"""
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       {type_name_sql("a.atttypmod")},
       NOT a.attnotnull,
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
                 AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL),
       a.atthasdef OR a.attidentity <> '',
       a.attgenerated <> '' OR a.attidentity = 'a'
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN {_RELATION_KINDS}
  AND a.attnum > 0 AND NOT a.attisdropped AND {_USER_SCHEMA}
ORDER BY a.attnum
"""


class PostgresqlConnection(SqlConnection):
    """The PostgreSQL dialect: psycopg connections and `pg_catalog` queries."""

    config: PostgresqlConfig
    max_identifier_length = 63

    @property
    def default_schema(self) -> str:
        """A table value without a schema is in `public`."""
        return "public"

    def _open(self) -> DbConnection:
        import psycopg
        from psycopg.types.string import TextLoader

        cfg = self.config
        conn = psycopg.connect(
            host=cfg.hostname,
            port=cfg.port,
            dbname=cfg.database,
            user=cfg.username,
            password=cfg.password.get_secret_value(),
            sslmode="require" if cfg.ssl else "prefer",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="syncline",
        )
        # Every operation so far only reads; writers open their own connections.
        conn.read_only = True
        # JSON and intervals arrive as PostgreSQL's own text, not Python objects.
        for name in ("json", "jsonb", "interval"):
            conn.adapters.register_loader(name, TextLoader)
        return conn

    def _open_writable(self) -> DbConnection:
        conn = self._open()
        conn.read_only = None
        conn.autocommit = True
        return conn

    def _interrupt(self, conn: DbConnection) -> None:
        """A cancel request, as `pg_cancel_backend` sends (a frozen postmaster never
        answers it: bounded by the connect timeout)."""
        conn.cancel_safe(timeout=CONNECT_TIMEOUT_SECONDS)

    def _sever(self, conn: DbConnection) -> None:
        shut_socket(conn.pgconn.socket)

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)

    def _error_message(self, exc: Exception) -> str:
        diag = getattr(exc, "diag", None)
        primary = getattr(diag, "message_primary", None)
        return str(primary) if primary else _first_line(str(exc))

    def _connect_error_message(self, exc: Exception) -> str:
        text = str(exc)
        fatal = re.search(r"FATAL:\s+(.+)", text)
        if fatal:
            return fatal.group(1).strip()
        where = f"{self.config.hostname}:{self.config.port}"
        lowered = text.lower()
        if "connection refused" in lowered:
            return f"could not connect to {where}: connection refused"
        if "timeout expired" in lowered or "timed out" in lowered:
            return f"could not connect to {where}: timed out after {CONNECT_TIMEOUT_SECONDS} s"
        return _first_line(text.removeprefix("connection failed: "))

    def map_type(self, type_name: str) -> TypeMapping:
        return postgresql_type(type_name)

    @classmethod
    def value_domain(cls, remote_type: str) -> ValueDomain:
        return postgresql_domain(remote_type)

    def _parameter_values(self, conn: DbConnection, parameter: str) -> list[str]:
        rows = self._fetch_all(
            conn,
            "SELECT datname FROM pg_database"
            " WHERE datallowconn AND NOT datistemplate ORDER BY datname",
        )
        return [row[0] for row in rows]

    def _schemas(self, conn: DbConnection) -> list[str]:
        rows = self._fetch_all(
            conn, f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_SCHEMA} ORDER BY 1"
        )
        return [row[0] for row in rows]

    def _tables(
        self, conn: DbConnection, schemas: Sequence[str] | None, *, views: bool
    ) -> list[TableRef]:
        kinds = _RELATION_KINDS if views else _TABLE_KINDS
        sql = (
            "SELECT n.nspname, c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN {kinds} AND NOT c.relispartition AND {_USER_SCHEMA}"
        )
        params: list[Any] = []
        if schemas is not None:
            sql += " AND n.nspname = ANY(%s)"
            params.append(list(schemas))
        rows = self._fetch_all(conn, sql + " ORDER BY 1, 2", params)
        return [TableRef(schema, name) for schema, name in rows]

    def _relation_kind(self, conn: DbConnection, ref: TableRef) -> RelationKind | None:
        rows = self._fetch_all(
            conn,
            "SELECT c.relkind IN ('v', 'm') FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN {_RELATION_KINDS}"
            f" AND {_USER_SCHEMA}",
            [ref.schema, ref.name],
        )
        if not rows:
            return None
        return "view" if rows[0][0] else "table"

    def _columns(self, conn: DbConnection, ref: TableRef) -> list[Column]:
        rows = self._fetch_all(conn, _COLUMNS_SQL, [ref.schema, ref.name])
        return [
            Column(
                name=name,
                remote_type=remote_type,
                type_name=type_name,
                nullable=nullable,
                unique=unique,
                has_default=has_default,
                generated=generated,
            )
            for name, remote_type, type_name, nullable, unique, has_default, generated in rows
        ]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
