"""The source side of a `files` connection: each supported file is a model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from syncline.connectors.base import (
    Choice,
    ConfigurationOption,
    Field,
    SourceConnector,
    SourceDescription,
    SourceItem,
)
from syncline.connectors.files.connection import FilesConnection
from syncline.connectors.files.formats import SUPPORTED, FileFormat
from syncline.connectors.files.reading import describe, stream
from syncline.connectors.writing import TargetFilter
from syncline.errors import BadRequest, InvalidSourceConfiguration

FILE_KEY = "file"
"""The one key of a files model's configuration and of `describe_source` params."""


class FilesSource(FilesConnection, SourceConnector):
    """Reads CSV, JSON Lines and Parquet files of the directory through DuckDB."""

    def describe_source(self, params: Mapping[str, Sequence[str]]) -> SourceDescription:
        """The files a model can read, sorted by name.

        `params` may name files under "file"; each must exist. Raises
        `BadRequest` for any other parameter or a name outside the directory,
        `ObjectNotFound` for a file that does not exist, and `ConnectorError`
        when the directory cannot be listed.
        """
        unknown = sorted(set(params) - {FILE_KEY})
        if unknown:
            raise BadRequest(
                f"unknown parameter {', '.join(map(repr, unknown))}; allowed: {FILE_KEY!r}",
                metadata={"parameters": unknown},
            )
        chosen = params.get(FILE_KEY, ())
        for name in [chosen] if isinstance(chosen, str) else chosen:
            self.directory.locate(name)
        choices = [Choice(name, name) for name in self.directory.files()]
        return SourceDescription(
            items={FILE_KEY: SourceItem(choices=choices)},
            requires_one_of=[FILE_KEY],
            configuration={FILE_KEY: ConfigurationOption("string", choices=choices)},
        )

    def source_fields(self, configuration: Mapping[str, Any]) -> list[Field]:
        """The columns of the configured file, typed by DuckDB; all nullable.

        Raises `InvalidSourceConfiguration` for a configuration without
        "file" or with other keys, and with DuckDB's message for a file it
        cannot read; `ObjectNotFound` for a missing file; `BadRequest` for a
        name outside the directory.
        """
        path, file_format = self._locate(configuration)
        return [
            Field(
                name=column.name,
                type=column.type,
                remote_type=column.remote_type,
                arrow_type=column.arrow_type,
            )
            for column in describe(path, file_format, InvalidSourceConfiguration)
        ]

    def read(
        self,
        configuration: Mapping[str, Any],
        *,
        batch_size: int = 10_000,
        limit: int | None = None,
        where: TargetFilter | None = None,
    ) -> pa.RecordBatchReader:
        """Stream the configured file; see `SourceConnector.read`. `where` is not used.

        Raises what `source_fields` raises, up front; a row DuckDB cannot
        convert later in the file raises `InvalidSourceConfiguration` from
        the batch that holds it.
        """
        path, file_format = self._locate(configuration)
        return stream(path, file_format, batch_size=batch_size, limit=limit)

    def _locate(self, configuration: Mapping[str, Any]) -> tuple[Path, FileFormat]:
        """The file a model configuration names, validated."""
        unknown = sorted(set(configuration) - {FILE_KEY})
        if unknown:
            raise InvalidSourceConfiguration(
                f"unknown source configuration key {', '.join(map(repr, unknown))}; "
                f"a files model takes only {FILE_KEY!r}",
                metadata={"keys": unknown},
            )
        name = configuration.get(FILE_KEY)
        if not isinstance(name, str) or not name.strip():
            raise InvalidSourceConfiguration(
                f"source configuration needs {FILE_KEY!r}: the name of a {SUPPORTED} file "
                f"in directory {self.directory.root}"
            )
        return self.directory.locate(name)
