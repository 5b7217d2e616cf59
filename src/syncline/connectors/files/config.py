"""The configuration of a `files` connection: one local directory."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import field_validator

from syncline.connectors.base import ConnectorConfig, DestinationField


class FilesConfig(ConnectorConfig):
    """A directory on the Syncline server holding CSV, JSON Lines and Parquet files."""

    path: str = DestinationField(
        title="Directory",
        description=(
            "Absolute path of a directory on the Syncline server, such as /srv/exports. "
            "Models read the .csv, .jsonl, .ndjson and .parquet files in it; syncs write "
            "files into it, so Syncline needs read and write access."
        ),
        min_length=1,
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        # A relative path would mean something different in every process
        # (server, workers) depending on where it was started.
        if not PurePosixPath(value).is_absolute():
            raise ValueError(f"must be an absolute path, such as /srv/exports (got {value!r})")
        return value
