"""The MySQL target side: tables described from `information_schema` (writers come later)."""

from __future__ import annotations

from syncline.connectors.mysql.connection import MysqlConnection
from syncline.connectors.sql.target import SqlTarget


class MysqlTarget(MysqlConnection, SqlTarget):
    """MySQL/MariaDB base tables as sync targets."""
