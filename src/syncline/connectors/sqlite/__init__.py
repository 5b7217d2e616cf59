"""The `sqlite` connector: a SQLite database file as a model source and a sync target."""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.sql.modes import SQL_TARGET_CAPABILITIES
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.connectors.sqlite.source import SqliteSource
from syncline.connectors.sqlite.target import SqliteTarget


class SqliteConnector(SqliteSource, SqliteTarget):
    """A SQLite database file."""

    type_id = "sqlite"
    name = "SQLite"
    capabilities = Capabilities(source=True, destination=True)
    config_model = SqliteConfig
    target_capabilities = SQL_TARGET_CAPABILITIES


__all__ = ["SqliteConfig", "SqliteConnector"]
