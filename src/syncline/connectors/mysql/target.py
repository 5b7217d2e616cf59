"""The MySQL target side: tables described from `information_schema`, written
by multi-row statements."""

from __future__ import annotations

from syncline.connectors.mysql.connection import MysqlConnection
from syncline.connectors.mysql.types import ACCEPTANCE, NAMES
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.writing import WritePlan, Writer


class MysqlTarget(MysqlConnection, SqlTarget):
    """MySQL/MariaDB base tables as sync targets."""

    acceptance = ACCEPTANCE
    names = NAMES

    def open_writer(self, plan: WritePlan) -> Writer:
        """A `MysqlWriter` for `plan` (see `connectors.sql.writer`)."""
        from syncline.connectors.mysql.writer import MysqlWriter

        return MysqlWriter.open(self, plan)
