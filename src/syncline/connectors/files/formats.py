"""The file formats a `files` connection reads and writes, and their extensions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath


class FileFormat(StrEnum):
    """A supported file format; the value is what a caller names it by."""

    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"

    @property
    def label(self) -> str:
        """The format's name as a person reads it."""
        return _LABELS[self]

    @property
    def extension(self) -> str:
        """The extension given to a new file of this format."""
        return f".{self.value}"


_LABELS: dict[FileFormat, str] = {
    FileFormat.CSV: "CSV",
    FileFormat.JSONL: "JSON Lines",
    FileFormat.PARQUET: "Parquet",
}

EXTENSIONS: dict[str, FileFormat] = {
    ".csv": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".parquet": FileFormat.PARQUET,
}
"""Every extension recognised (compared case-insensitively) and its format."""

SUPPORTED = "CSV (.csv), JSON Lines (.jsonl, .ndjson) or Parquet (.parquet)"
"""The supported formats, for messages."""


def format_of(name: str) -> FileFormat | None:
    """The format a file name's extension declares, or None for any other name."""
    return EXTENSIONS.get(PurePosixPath(name).suffix.lower())
