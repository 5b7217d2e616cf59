"""The configuration of a `sqlite` connection."""

from __future__ import annotations

from pydantic import Field

from syncline.connectors.base import ConnectorConfig


class SqliteConfig(ConnectorConfig):
    """Where the SQLite database file is."""

    path: str = Field(
        title="Database file",
        description="Path of an existing SQLite database file on the Syncline server.",
        min_length=1,
    )
