"""Record logs: one JSON Lines file per execution and record kind, under the data dir.

Kinds are Polytomic's `ExecutionLogType`: records, inserts, updates, deletes,
errors, warnings. `records` holds every record with its outcome.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import IO

import pyarrow as pa

KINDS = ("records", "inserts", "updates", "deletes", "errors", "warnings")


def execution_dir(data_dir: Path, execution_id: str) -> Path:
    """Where an execution's record logs live."""
    return data_dir / "executions" / execution_id


class RecordLogWriter:
    """Appends records to an execution's log files. Safe to call from several threads."""

    def __init__(self, data_dir: Path, execution_id: str) -> None:
        self.directory = execution_dir(data_dir, execution_id)
        self._files: dict[str, IO[bytes]] = {}
        self._lock = threading.Lock()

    def append_lines(self, kind: str, lines: pa.StringArray) -> None:
        """Append records to the `kind` file and to `records`: UTF-8 lines,
        each ending with its newline, written straight from Arrow's buffer."""
        if not len(lines):
            return
        data = _text_bytes(lines)
        with self._lock:
            for name in {kind, "records"}:
                self._file(name).write(data)

    def close(self) -> None:
        """Flush and close every file."""
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()

    def _file(self, kind: str) -> IO[bytes]:
        handle = self._files.get(kind)
        if handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / f"{kind}.jsonl").open("ab")
            self._files[kind] = handle
        return handle


def count_lines(path: Path) -> int:
    """How many records a log file holds (0 when it does not exist)."""
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def log_files(data_dir: Path, execution_id: str, kind: str) -> list[Path]:
    """The files of one kind of an execution (none when it logged no such record)."""
    path = execution_dir(data_dir, execution_id) / f"{kind}.jsonl"
    return [path] if path.exists() else []


def _text_bytes(strings: pa.StringArray) -> memoryview:
    """The UTF-8 bytes of all `strings`, back to back (the array's data buffer)."""
    offsets = strings.buffers()[1]
    data = strings.buffers()[2]
    if offsets is None or data is None:
        return memoryview(b"")
    positions = memoryview(offsets).cast("i")
    start, end = positions[strings.offset], positions[strings.offset + len(strings)]
    return memoryview(data)[start:end]
