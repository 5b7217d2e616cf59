"""The PostgreSQL target side: tables described from `pg_catalog`, written by COPY."""

from __future__ import annotations

from syncline.connectors.postgresql.connection import PostgresqlConnection
from syncline.connectors.postgresql.types import ACCEPTANCE, NAMES
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.writing import WritePlan, Writer


class PostgresqlTarget(PostgresqlConnection, SqlTarget):
    """PostgreSQL base tables as sync targets."""

    acceptance = ACCEPTANCE
    names = NAMES

    def open_writer(self, plan: WritePlan) -> Writer:
        """A `PostgresqlWriter` for `plan` (see `connectors.sql.writer`)."""
        from syncline.connectors.postgresql.writer import PostgresqlWriter

        return PostgresqlWriter.open(self, plan)
