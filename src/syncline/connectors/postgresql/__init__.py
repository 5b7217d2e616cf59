"""The `postgresql` connector: PostgreSQL as a model source and a sync target."""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.postgresql.source import PostgresqlSource
from syncline.connectors.postgresql.target import PostgresqlTarget
from syncline.connectors.sql.modes import SQL_TARGET_CAPABILITIES


class PostgresqlConnector(PostgresqlSource, PostgresqlTarget):
    """A PostgreSQL database."""

    type_id = "postgresql"
    name = "PostgreSQL"
    capabilities = Capabilities(source=True, destination=True)
    config_model = PostgresqlConfig
    parameter_fields = ("database",)
    target_capabilities = SQL_TARGET_CAPABILITIES


__all__ = ["PostgresqlConfig", "PostgresqlConnector"]
