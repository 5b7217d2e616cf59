"""The configuration of a `files` connection: one local directory."""

from __future__ import annotations

from syncline.connectors.base import ConnectorConfig, LocalPathField


class FilesConfig(ConnectorConfig):
    """A directory on the Syncline server holding CSV, JSON Lines and Parquet files."""

    path: str = LocalPathField(
        title="Directory",
        description=(
            "Absolute path of a directory on the Syncline server, inside one of the server's "
            "local roots (SYNCLINE_LOCAL_ROOTS), such as <data dir>/files/exports. Models read "
            "the .csv, .jsonl, .ndjson and .parquet files in it; syncs write files into it, so "
            "Syncline needs read and write access."
        ),
        kind="directory",
    )
