"""The configuration of a `mysql` connection (Polytomic's key names)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from syncline.connectors.base import ConnectorConfig, DestinationField, SecretField


class MysqlConfig(ConnectorConfig):
    """Where a MySQL or MariaDB server is and how to log in.

    The password goes to `hostname` and `port` (always over TCP).
    """

    hostname: str = DestinationField(
        title="Host",
        description="Host name or IP address of the MySQL or MariaDB server.",
        min_length=1,
    )
    port: int = DestinationField(
        3306, title="Port", description="TCP port of the server.", ge=1, le=65535
    )
    dbname: str = Field(
        title="Database",
        description="Default database; tables named without a database are looked up here.",
        min_length=1,
    )
    account: str = Field(title="Username", description="Account to log in as.", min_length=1)
    passwd: SecretStr = SecretField(
        title="Password",
        description="Password of the account; leave empty if it has none.",
        default=SecretStr(""),
    )
