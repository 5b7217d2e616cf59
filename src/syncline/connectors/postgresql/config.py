"""The configuration of a `postgresql` connection (Polytomic's key names)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from syncline.connectors.base import ConnectorConfig, DestinationField, SecretField


class PostgresqlConfig(ConnectorConfig):
    """Where a PostgreSQL server is and how to log in.

    The password goes to `hostname` (a host, several, or a socket directory)
    and `port`; `database` and `username` cannot redirect it (libpq does not
    expand them into connection parameters).
    """

    hostname: str = DestinationField(
        title="Host",
        description="Host name or IP address of the PostgreSQL server.",
        min_length=1,
    )
    port: int = DestinationField(
        5432, title="Port", description="TCP port of the PostgreSQL server.", ge=1, le=65535
    )
    database: str = Field(
        title="Database", description="Name of the database to connect to.", min_length=1
    )
    username: str = Field(title="Username", description="Role to log in as.", min_length=1)
    password: SecretStr = SecretField(
        title="Password",
        description="Password of the role; leave empty for trust or peer authentication.",
        default=SecretStr(""),
    )
    ssl: bool = Field(
        False,
        title="Require SSL",
        description="Refuse to connect without SSL (sslmode=require). "
        "When off, SSL is used if the server offers it (sslmode=prefer).",
    )
