"""The configuration of a `sqlite` connection."""

from __future__ import annotations

from syncline.connectors.base import ConnectorConfig, LocalPathField


class SqliteConfig(ConnectorConfig):
    """Where the SQLite database file is."""

    path: str = LocalPathField(
        title="Database file",
        description="Absolute path of an existing SQLite database file on the Syncline server, "
        "inside one of the server's local roots (SYNCLINE_LOCAL_ROOTS).",
        kind="file",
    )
