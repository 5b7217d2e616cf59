"""Record logs written beside the run, on a thread of their own.

Rendering a batch of records as JSON lines and appending them to the log
files is Arrow and file work that releases the GIL, so a second thread does
it while the engine goes on reading, diffing and writing: on a two-core
machine the logs of a million inserts then cost the run little. At most
`QUEUED` batches wait, so memory stays bounded; the engine waits when the
logger falls behind.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from syncline.engine.records import json_lines
from syncline.store.record_logs import RecordLogWriter

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
        """Write what is queued, close the files; why the logs are incomplete, if they are."""
        self._queue.put(None)
        self._thread.join()
        self._writer.close()
        return self._error

    def _drain(self) -> None:
        while (entry := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking batches so the engine never blocks on a dead logger
            try:
                lines = json_lines(entry.values, entry.identities, entry.messages)
                self._writer.append_lines(entry.kind, lines)
            except Exception as exc:
                log.exception("could not write record logs")
                self._error = f"record logs are incomplete: {type(exc).__name__}: {exc}"
