"""The configuration of a `sqlite` connection."""

from __future__ import annotations

from syncline.connectors.base import ConnectorConfig, DestinationField


class SqliteConfig(ConnectorConfig):
    """Where the SQLite database file is."""

    path: str = DestinationField(
        title="Database file",
        description="Path of an existing SQLite database file on the Syncline server.",
        min_length=1,
    )
