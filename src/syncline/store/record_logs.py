"""Record logs: an execution's records by kind, as Parquet parts under the data dir.

Kinds are Polytomic's `ExecutionLogType`: inserts, updates, deletes, errors,
warnings, and `records`, which is all of them. A run appends each kind's
records (columns `identity`, `message` and the struct `record`) to
`<kind>-NNNNNN.parquet` parts: Parquet costs a run a fraction of what
rendering JSON does, and the JSON Lines that people download are rendered
from the parts when asked for (`services.record_logging.render`).

A part is written under a temporary name and renamed when complete, so a
part that shows is whole and readable even while the run goes on; a part is
closed every `ROWS_PER_PART` records, or when the records' shape changes.
A part whose writing failed (a full disk) is deleted, never renamed: it
could be truncated. Readers still skip a part they cannot read
(`part_batches`), so logs written before that rule keep being served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger("syncline.records")

KINDS = ("records", "inserts", "updates", "deletes", "errors", "warnings")
OUTCOMES = KINDS[1:]
"""The kinds records are logged under; `records` is all of them."""

ROWS_PER_PART = 100_000


def execution_dir(data_dir: Path, execution_id: str) -> Path:
    """Where an execution's record logs live."""
    return data_dir / "executions" / execution_id


@dataclass
class _Part:
    writer: pq.ParquetWriter
    temporary: Path
    final: Path
    rows: int = 0


class RecordLogWriter:
    """Appends record batches to an execution's log parts. Safe to call from several threads."""

    def __init__(self, data_dir: Path, execution_id: str) -> None:
        self.directory = execution_dir(data_dir, execution_id)
        self._parts: dict[str, _Part] = {}
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()

    def append(self, kind: str, batch: pa.RecordBatch) -> None:
        """Append records of `kind` (one of `OUTCOMES`): `identity`, `message`, `record`."""
        if kind not in OUTCOMES:
            raise ValueError(f"unknown record kind {kind!r}")
        if not batch.num_rows:
            return
        with self._lock:
            part = self._parts.get(kind)
            if part is not None and (
                part.writer.schema != batch.schema or part.rows >= ROWS_PER_PART
            ):
                self._close(kind)
                part = None
            if part is None:
                part = self._open(kind, batch.schema)
            try:
                part.writer.write_batch(batch)
            except BaseException:
                self._discard(kind)
                raise
            part.rows += batch.num_rows

    def close(self) -> None:
        """Complete every open part. A part that cannot be completed is deleted and
        the first such error raised, after every other part was completed."""
        failure: BaseException | None = None
        with self._lock:
            for kind in list(self._parts):
                try:
                    self._close(kind)
                except Exception as exc:  # noqa: BLE001 - raised once every part is done
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _open(self, kind: str, schema: pa.Schema) -> _Part:
        self.directory.mkdir(parents=True, exist_ok=True)
        number = self._numbers.get(kind, 0) + 1
        self._numbers[kind] = number
        final = self.directory / f"{kind}-{number:06d}.parquet"
        temporary = final.with_name(f".{final.name}.tmp")
        # Without dictionaries and statistics, which rendering never reads: a million
        # records were written in a third of the time, and took less room.
        try:
            writer = pq.ParquetWriter(
                str(temporary), schema, use_dictionary=False, write_statistics=False
            )
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        part = _Part(writer, temporary, final)
        self._parts[kind] = part
        return part

    def _close(self, kind: str) -> None:
        """Complete a part and show it under its final name, once its footer reads
        back with every row written; otherwise delete it and raise."""
        part = self._parts[kind]
        try:
            part.writer.close()
            written = pq.read_metadata(part.temporary).num_rows
            if written != part.rows:
                raise OSError(f"{part.final.name} holds {written} of its {part.rows} records")
            part.temporary.replace(part.final)
        except BaseException:
            self._discard(kind)
            raise
        del self._parts[kind]

    def _discard(self, kind: str) -> None:
        """Drop a part whose writing failed: it may be truncated, so it never shows."""
        part = self._parts.pop(kind)
        with suppress(Exception):
            part.writer.close()
        part.temporary.unlink(missing_ok=True)


def log_parts(data_dir: Path, execution_id: str, kind: str) -> list[Path]:
    """The complete parts of one kind (every kind's for `records`), in order."""
    directory = execution_dir(data_dir, execution_id)
    kinds = OUTCOMES if kind == "records" else (kind,)
    return [path for each in kinds for path in sorted(directory.glob(f"{each}-*.parquet"))]


def part_batches(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """The records of one part, as far as they read: a part or a row group that
    cannot be read (one truncated by a full disk before parts were checked) is
    logged and left out, and the rest is still read."""
    try:
        reader = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        log.warning("record-log part %s is unreadable and left out: %s", path, exc)
        return
    with reader:
        for group in range(reader.num_row_groups):
            try:
                table = reader.read_row_group(group)
            except (OSError, pa.ArrowException) as exc:
                log.warning(
                    "row group %d of record-log part %s is unreadable: %s", group, path, exc
                )
                continue
            yield from table.to_batches(max_chunksize=batch_size)


def count_records(data_dir: Path, execution_id: str, kind: str) -> int:
    """How many records of `kind` the complete parts hold (unreadable parts count none)."""
    total = 0
    for path in log_parts(data_dir, execution_id, kind):
        try:
            total += pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException) as exc:
            log.warning("record-log part %s is unreadable and left out: %s", path, exc)
    return total
