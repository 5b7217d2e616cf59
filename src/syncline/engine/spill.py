"""Files the engine writes while a run goes on: the spilled model and the outcome log.

Both are written batch by batch so memory holds one batch at a time. The
outcome log is the journal of records a target confirmed: one small Parquet
file per written batch, each made durable before the next batch is sent, so
that a run which crashes or is canceled still tells the next run what it no
longer needs to send.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

OUTCOME_SCHEMA = pa.schema(
    [
        ("key_high", pa.uint64()),
        ("key_low", pa.uint64()),
        ("hash", pa.uint64()),
        ("logged_ns", pa.int64()),
    ]
)
"""A confirmed record: its key's number, the hash the target now holds, when it was logged."""


PLAIN_PARQUET: dict[str, Any] = {"use_dictionary": False, "write_statistics": False}
"""Writer options for the engine's own files: nothing reading them uses dictionaries or
statistics, which cost time (a million spilled records: 0.2 s without, 0.56 s with; a
million journaled: 0.05 s against 0.21 s)."""


class ParquetSink:
    """Rows appended to one Parquet file, one row group per batch."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.rows = 0
        self._writer = pq.ParquetWriter(str(path), schema, **PLAIN_PARQUET)

    def write(self, batch: pa.RecordBatch) -> None:
        """Append `batch` (of the sink's schema)."""
        if batch.num_rows:
            self._writer.write_batch(batch)
            self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file; it is readable afterwards."""
        self._writer.close()


JOURNAL_SUFFIX = ".parquet"
"""A journal file: records the target confirmed, part of the sync's state."""
INTENT_SUFFIX = ".intent"
"""An intent: the records of a batch about to be committed, before their commit marker."""
PENDING_SUFFIX = ".pending"
"""Records a writer that publishes at finish confirmed, pending its commit marker."""


class OutcomeLog:
    """The records confirmed by the target during one run, in `directory`.

    With `durable`, each batch's file is fsynced and renamed into place before
    `append` returns, so it survives a crash of the process or the machine.
    Files are numbered by batch (`NNNNNNNN<suffix>`, one number per `append`,
    whether or not it logged anything), so a batch's intent (`intend`) and
    its journal file share a number. `suffix` is `PENDING_SUFFIX` for a log
    that counts only once its writer's commit marker is found.
    """

    def __init__(self, directory: Path, *, durable: bool, suffix: str = JOURNAL_SUFFIX) -> None:
        self.directory = directory
        self.durable = durable
        self.suffix = suffix
        self.files: list[Path] = []
        self.batches = 0
        """How many batches were appended: the number of the next one."""
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def pending(self) -> bool:
        """Whether the log counts only once its commit marker is found."""
        return self.suffix == PENDING_SUFFIX

    def intend(self, key_high: pa.Array, key_low: pa.Array, hashes: pa.Array) -> int:
        """Record durably that the next batch, these records in order, is about to be
        committed; its number (the writer's commit marker names it)."""
        at = pa.repeat(pa.scalar(time.time_ns(), pa.int64()), len(hashes))
        table = pa.Table.from_arrays([key_high, key_low, hashes, at], schema=OUTCOME_SCHEMA)
        path = self.directory / f"{self.batches:08d}{INTENT_SUFFIX}"
        write_durably(path, lambda target: pq.write_table(table, str(target), **PLAIN_PARQUET))
        return self.batches

    def append(self, key_high: pa.Array, key_low: pa.Array, hashes: pa.Array) -> None:
        """Log that the records with these keys (`mapping.KEY_HIGH`, `KEY_LOW`) hold `hashes`."""
        number = self.batches
        self.batches += 1
        if not len(hashes):
            return
        at = pa.repeat(pa.scalar(time.time_ns(), pa.int64()), len(hashes))
        table = pa.Table.from_arrays([key_high, key_low, hashes, at], schema=OUTCOME_SCHEMA)
        path = self.directory / f"{number:08d}{self.suffix}"

        def write(target: Path) -> None:
            pq.write_table(table, str(target), **PLAIN_PARQUET)

        if self.durable:
            write_durably(path, write)
        else:
            write(path)
        self.files.append(path)


def write_durably(path: Path, write: Callable[[Path], None]) -> None:
    """Create or replace `path` atomically: write a temporary file, fsync, rename, fsync the folder.

    A reader sees the old file or the complete new one, never a partial one,
    even after a crash.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    descriptor = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    temporary.replace(path)
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make the entries of `directory` (a rename, a removal) durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
