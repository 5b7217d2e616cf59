"""The SQLite target side: tables described from `PRAGMA`s (writers come later)."""

from __future__ import annotations

from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sqlite.connection import SqliteConnection


class SqliteTarget(SqliteConnection, SqlTarget):
    """SQLite tables as sync targets."""
