"""The `mysql` connector: MySQL or MariaDB as a model source and a sync target."""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.mysql.source import MysqlSource
from syncline.connectors.mysql.target import MysqlTarget
from syncline.connectors.sql.modes import SQL_TARGET_CAPABILITIES


class MysqlConnector(MysqlSource, MysqlTarget):
    """A MySQL or MariaDB database."""

    type_id = "mysql"
    name = "MySQL"
    capabilities = Capabilities(source=True, destination=True)
    config_model = MysqlConfig
    parameter_fields = ("dbname",)
    target_capabilities = SQL_TARGET_CAPABILITIES


__all__ = ["MysqlConfig", "MysqlConnector"]
