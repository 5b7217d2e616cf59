"""What the source and target sides of a `files` connection share."""

from __future__ import annotations

from pathlib import Path

from syncline.connectors.base import Connector, ConnectorConfig
from syncline.connectors.compatibility import ValueDomain
from syncline.connectors.files.config import FilesConfig
from syncline.connectors.files.directory import Directory
from syncline.connectors.files.types import duckdb_domain
from syncline.errors import ConnectionCheckFailed


class FilesConnection(Connector):
    """A connection to one local directory; opens nothing until asked."""

    def __init__(self, config: ConnectorConfig) -> None:
        if not isinstance(config, FilesConfig):
            raise TypeError(f"expected FilesConfig, got {type(config).__name__}")
        super().__init__(config)
        self.directory = Directory(Path(config.path))

    @classmethod
    def value_domain(cls, remote_type: str) -> ValueDomain:
        """Files describe their columns by DuckDB's type names."""
        return duckdb_domain(remote_type)

    def check(self) -> None:
        """Succeed when the directory exists and Syncline can read and write it.

        Raises `ConnectionCheckFailed` naming what is missing, such as
        "directory /x does not exist".
        """
        problem = self.directory.problems()
        if problem is not None:
            raise ConnectionCheckFailed(problem)
