"""The SQLite target side: tables described from `PRAGMA`s, written on a
read-write connection of the writer's own."""

from __future__ import annotations

from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sqlite.connection import SqliteConnection
from syncline.connectors.sqlite.types import ACCEPTANCE
from syncline.connectors.writing import WritePlan, Writer


class SqliteTarget(SqliteConnection, SqlTarget):
    """SQLite tables as sync targets."""

    acceptance = ACCEPTANCE

    def open_writer(self, plan: WritePlan) -> Writer:
        """A `SqliteWriter` for `plan` (see `connectors.sql.writer`)."""
        from syncline.connectors.sqlite.writer import SqliteWriter

        return SqliteWriter.open(self, plan)
