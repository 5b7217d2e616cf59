"""The `files` connector: a local directory of CSV, JSON Lines and Parquet files.

Each supported file directly in the directory is both a model source and a
sync target. DuckDB reads and describes all three formats.
"""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.files.config import FilesConfig
from syncline.connectors.files.source import FilesSource
from syncline.connectors.files.target import TARGET_CAPABILITIES, FilesTarget

__all__ = ["FilesConfig", "FilesConnector"]


class FilesConnector(FilesSource, FilesTarget):
    """A directory on the Syncline server, readable and writable as files."""

    type_id = "files"
    name = "Files"
    capabilities = Capabilities(source=True, destination=True)
    config_model = FilesConfig
    target_capabilities = TARGET_CAPABILITIES
