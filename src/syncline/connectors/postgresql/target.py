"""The PostgreSQL target side: tables described from `pg_catalog` (writers come later)."""

from __future__ import annotations

from syncline.connectors.postgresql.connection import PostgresqlConnection
from syncline.connectors.sql.target import SqlTarget


class PostgresqlTarget(PostgresqlConnection, SqlTarget):
    """PostgreSQL base tables as sync targets."""
