"""The storage form a files writer stages, matches and merges values in.

`writing_formats` has one `Storage` per file format; this module holds what
they share and what the rest of the writer sees of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from syncline.connectors.files.formats import FileFormat

if TYPE_CHECKING:
    import duckdb

ROW = "__syncline_row"
"""The column carrying a record's index in its batch while it is encoded."""


class Unrepresentable(Exception):
    """Values of a batch cannot be held by the file's format or column types.

    `every_row` means the column's type cannot be converted at all, so every
    record fails alike and there is nothing to isolate.
    """

    def __init__(self, message: str, *, every_row: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.every_row = every_row


class Storage(ABC):
    """The storage form of one format, for one target file.

    `columns` lists the existing file's columns in file order after
    `read_columns`; it stays empty for a file that does not exist or has no
    bytes.
    """

    file_format: FileFormat

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] = []

    def read_columns(self, con: duckdb.DuckDBPyConnection) -> None:
        """Learn the existing file's columns; a missing or zero-byte file has none."""
        if self.path.is_file() and self.path.stat().st_size > 0:
            self.columns = self._existing_columns(con)

    @abstractmethod
    def _existing_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]: ...

    @abstractmethod
    def scan(self) -> str:
        """A table expression over the existing file in storage form (uses `$existing`)."""

    def scan_params(self) -> dict[str, Any]:
        """The parameters `scan()` needs."""
        return {"existing": str(self.path)}

    @abstractmethod
    def staged_type(self, name: str, arrow_type: pa.DataType) -> pa.DataType:
        """The Arrow type column `name`, sent as `arrow_type`, is staged and merged in."""

    @abstractmethod
    def encode(
        self, con: duckdb.DuckDBPyConnection, table: pa.Table, staged: pa.Schema
    ) -> pa.Table:
        """`table` (`ROW` plus sent columns) with every sent column as in `staged`.

        Raises `Unrepresentable` when some value cannot be held.
        """

    def key(self, column: str) -> str:
        """SQL comparing values of the (quoted) column as identities."""
        return column

    def empty(self, column: str) -> str:
        """SQL true where the (quoted) column is empty: NULL or ''."""
        return f"({column} IS NULL OR TRY_CAST({column} AS VARCHAR) = '')"

    def merged(self, column: str) -> str:
        """SQL for a (quoted) staged column as the merge and the output need it."""
        return column

    @abstractmethod
    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        params: Mapping[str, Any],
        destination: Path,
        schema: pa.Schema,
    ) -> None:
        """Write the rows of `query` to `destination` in this format.

        `schema` names the output columns and, for Parquet, their types.
        """


def staged_schema(storage: Storage, fields: Sequence[pa.Field]) -> pa.Schema:
    """The schema of staged batches: the sent columns in their staged types."""
    return pa.schema([pa.field(f.name, storage.staged_type(f.name, f.type)) for f in fields])
