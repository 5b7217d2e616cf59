"""Record logs: written beside the run on a thread of their own, rendered when asked for.

Appending a batch of records to the log's Parquet parts is Arrow and file
work that releases the GIL, so a second thread does it while the engine
goes on reading, diffing and writing. At most `QUEUED` batches wait, so
memory stays bounded; the engine waits when the logger falls behind.

When the disk is full the logger stops: `full` names the file system, and
the run ends at its next batch boundary (`StoreHooks.cancelled`). Any other
failure only leaves the logs incomplete, and the run goes on.

People download JSON Lines (`records.json_lines`): `download` renders them
from the parts into a file on the first request, and again only once more
parts exist; when that file cannot be written (no room), it streams them.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from syncline.engine.records import json_lines
from syncline.services.full_disk import no_space_left, no_space_message
from syncline.store.record_logs import RecordLogWriter, execution_dir, log_parts, part_batches

log = logging.getLogger("syncline.records")

QUEUED = 4
"""Batches that may wait for the logger thread."""


@dataclass(frozen=True)
class _Entry:
    kind: str
    values: pa.RecordBatch
    identities: Sequence[str | None]
    messages: Sequence[str | None]


class RecordLogPipe:
    """Takes record batches and appends them to an execution's record logs in order."""

    def __init__(self, writer: RecordLogWriter) -> None:
        self._writer = writer
        self._queue: queue.Queue[_Entry | None] = queue.Queue(maxsize=QUEUED)
        self._error: str | None = None
        self.full: str | None = None
        """Set (to a message naming the file system) once the logs found no room."""
        self._thread = threading.Thread(target=self._drain, name="syncline-records", daemon=True)
        self._thread.start()

    def put(
        self,
        kind: str,
        values: pa.RecordBatch,
        identities: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        """Queue one batch (waits while `QUEUED` batches are waiting already)."""
        if self._error is None:
            self._queue.put(_Entry(kind, values, list(identities), list(messages)))

    def close(self) -> str | None:
        """Write what is queued, close the files; why the logs are incomplete, if they
        are. Never raises."""
        self._queue.put(None)
        self._thread.join()
        try:
            self._writer.close()
        except Exception as exc:  # noqa: BLE001 - `_failed` logs it; close never raises
            self._failed(exc)
        return self._error

    def _drain(self) -> None:
        while (entry := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking batches so the engine never blocks on a dead logger
            try:
                self._writer.append(entry.kind, _log_batch(entry))
            except Exception as exc:  # noqa: BLE001 - `_failed` logs it and stops the logger
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if no_space_left(exc):
            log.warning("record logs of %s: %s", self._writer.directory, exc)
            self.full = no_space_message(self._writer.directory)
            problem = self.full
        else:
            log.exception("could not write record logs")
            problem = f"{type(exc).__name__}: {exc}"
        self._error = self._error or f"record logs are incomplete: {problem}"


def _log_batch(entry: _Entry) -> pa.RecordBatch:
    values = entry.values
    record = pa.StructArray.from_arrays(values.columns, fields=list(values.schema))
    return pa.RecordBatch.from_arrays(
        [pa.array(entry.identities, pa.string()), pa.array(entry.messages, pa.string()), record],
        names=["identity", "message", "record"],
    )


def download(data_dir: Path, execution_id: str, kind: str) -> Path | Iterator[memoryview] | None:
    """One kind of an execution's records as JSON Lines; None when it has none.

    A rendered file (`render`) when it can be written, else (no room, no
    permission) the lines themselves, read straight from the parts.
    """
    parts = log_parts(data_dir, execution_id, kind)
    if not parts:
        return None
    try:
        return render(data_dir, execution_id, kind)
    except OSError as exc:
        log.warning("record logs of %s streamed, not rendered: %s", execution_id, exc)
        return _lines(parts)


def render(data_dir: Path, execution_id: str, kind: str) -> Path | None:
    """The JSON Lines file of one kind of an execution's records; None when it has none.

    Rendered from the complete parts (`store.record_logs`) into
    `<kind>.<parts digest>.jsonl`, which is served again until another part
    shows; it is downloaded as `<kind>.jsonl`. Parts that cannot be read are
    left out. Raises `OSError` when the file cannot be written, and then
    leaves no temporary file behind.
    """
    parts = log_parts(data_dir, execution_id, kind)
    if not parts:
        return None
    # The file is named for the parts it was made from (a part never changes once shown).
    made_from = hashlib.sha256("\n".join(part.name for part in parts).encode()).hexdigest()
    directory = execution_dir(data_dir, execution_id)
    rendered = directory / f"{kind}.{made_from[:16]}.jsonl"
    if rendered.exists():
        return rendered
    temporary = rendered.with_name(f".{rendered.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as out:
            for lines in _lines(parts):
                out.write(lines)
        temporary.replace(rendered)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    for older in directory.glob(f"{kind}.*.jsonl"):
        if older != rendered:
            older.unlink(missing_ok=True)
    return rendered


def _lines(parts: Sequence[Path]) -> Iterator[memoryview]:
    """The JSON Lines of `parts`, a batch at a time (what cannot be read is left out)."""
    for part in parts:
        for batch in part_batches(part, RENDER_BATCH):
            values = pa.RecordBatch.from_struct_array(batch.column("record"))
            lines = json_lines(
                values, batch.column("identity").to_pylist(), batch.column("message").to_pylist()
            )
            yield text_bytes(lines)


RENDER_BATCH = 10_000


def text_bytes(strings: pa.StringArray) -> memoryview:
    """The UTF-8 bytes of all `strings`, back to back (the array's data buffer)."""
    offsets = strings.buffers()[1]
    data = strings.buffers()[2]
    if offsets is None or data is None:
        return memoryview(b"")
    positions = memoryview(offsets).cast("i")
    start, end = positions[strings.offset], positions[strings.offset + len(strings)]
    return memoryview(data)[start:end]
