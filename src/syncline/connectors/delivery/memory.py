"""What a sync remembers of an API's records, and which requests each run got confirmed.

An API target keeps, in the sync's own folder (`SyncContext.directory`), a
small SQLite database:

- `records`: every identity the API confirmed, with its change hash, its
  remote id, and (for types that send only what changed) the values sent;
- `marks`: which records of which batch of which execution the API
  confirmed: the commit markers of `connectors.writing`. A marker is
  written right after the API answered, before the engine journals the
  batch, so a crash in between resends only the requests still in flight
  (with the same idempotency keys).

Staged changes are committed together: the writer's sender takes what the
answers that came in together staged (`take`) and commits it on a worker
thread (`commit`) while other requests go on; an answered request keeps
its concurrency permit until its commit is done, so a crash leaves
unrecorded at most a concurrency cap's worth of requests. SQLite's WAL
keeps a commit through a killed process.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from syncline.connectors.delivery.records import Known, json_bytes
from syncline.connectors.writing import CommitLedger, CommittedBatch, RecordResult
from syncline.errors import ConnectorError

FILE_NAME = "records.sqlite"
CACHE_KIB = 64 * 1024
"""The most a memory keeps of its file cached, in KiB. SQLite's default (2 MiB) holds
a sliver of a large sync's memory, and every lookup and upsert then reads its pages
anew: a first webhook run of 1,000,000 records took a third longer. 64 MiB holds a
million identities (more only in part), allocated as the file grows."""
_SIGN = 1 << 63


_FIELDS_2 = "json_extract(value, '$[0]'), json_extract(value, '$[1]')"
"""A staged record row's identity and hash, from its JSON array."""
_FIELDS = _FIELDS_2 + ", json_extract(value, '$[2]'), json_extract(value, '$[3]')"
"""All its fields (with the remote id and the values sent)."""


def _json_array(items: Sequence[object]) -> str:
    return json_bytes(items).decode()


def _signed(value: int) -> int:
    """An unsigned 64-bit hash as SQLite's signed integer."""
    return value - (1 << 64) if value >= _SIGN else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


@dataclass(frozen=True)
class Staged:
    """Changes taken from a memory's staging, to commit together (`RecordMemory.take`)."""

    records: list[tuple[str, int, str | None, str | None]]
    forgotten: list[str]
    marks: list[tuple[str, int, int, int, str]]


class RecordMemory:
    """The memory of one sync's API target (see the module docstring).

    Opened lazily; `close` releases the file. Not for use from two threads at once.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._records: list[tuple[str, int, str | None, str | None]] = []
        self._forgotten: list[str] = []
        self._marks: list[tuple[str, int, int, int, str]] = []

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # The writer's sender commits on a worker thread, never two at once.
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                # Without a rowid: one tree keyed by identity, not a table and its index.
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS records (identity TEXT PRIMARY KEY, "
                    "hash INTEGER NOT NULL, remote_id TEXT, vals TEXT) WITHOUT ROWID"
                )
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS marks (execution_id TEXT NOT NULL, "
                    "batch INTEGER NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL, "
                    "result TEXT NOT NULL)"
                )
            except (OSError, sqlite3.Error) as error:
                raise ConnectorError(
                    f"cannot keep this sync's record memory in {self.path}: {error}"
                ) from error
            self._connection = connection
        return self._connection

    # ------------------------------------------------------------- records

    def known(self, identities: Sequence[str]) -> dict[str, Known]:
        """What is remembered of these identities (absent: the API never confirmed them)."""
        connection = self._open()
        # One statement, the identities as one JSON array: SQLite reads it without
        # holding the interpreter, where a parameter per identity would.
        rows = connection.execute(
            "SELECT r.identity, r.hash, r.remote_id, r.vals FROM json_each(?) AS j "
            "JOIN records AS r ON r.identity = j.value",
            (_json_array(list(dict.fromkeys(identities))),),
        )
        return {
            identity: Known(_unsigned(content), remote_id, json.loads(values) if values else None)
            for identity, content, remote_id, values in rows
        }

    def remember(
        self, identity: str, content: int, remote_id: str | None, values: str | None
    ) -> None:
        """Stage: the API confirmed `identity` with these values (JSON text, or None)."""
        self._records.append((identity, _signed(content), remote_id, values))

    def remember_all(self, confirmed: list[tuple[str, int]]) -> None:
        """Stage: the API confirmed these `(identity, hash)`, with no remote id or values."""
        self._records.extend(
            (identity, _signed(content), None, None) for identity, content in confirmed
        )

    def forget_record(self, identity: str) -> None:
        """Stage: the API deleted `identity`."""
        self._forgotten.append(identity)

    def mark(
        self, execution_id: str, batch: int, runs: Iterable[tuple[int, int, RecordResult]]
    ) -> None:
        """Stage commit markers: records `first..first+count` of `batch` had `result`."""
        self._marks.extend((execution_id, batch, f, c, r.value) for f, c, r in runs)

    def flush(self) -> None:
        """Commit what is staged."""
        staged = self.take()
        if staged is not None:
            self.commit(staged)

    def take(self) -> Staged | None:
        """What is staged, no longer staged (None: nothing is); `commit` it, on any thread."""
        if not (self._records or self._forgotten or self._marks):
            return None
        staged = Staged(self._records, self._forgotten, self._marks)
        self._records, self._forgotten, self._marks = [], [], []
        return staged

    def commit(self, staged: Staged) -> None:
        """Make `staged` durable in one transaction. One commit at a time, and none while
        another method of this memory runs (the writer's sender waits for each)."""
        connection = self._open()
        try:
            connection.execute("BEGIN IMMEDIATE")
            records = staged.records
            # The rows as one JSON array (see `known`), in order: a later row of an
            # identity wins. A record keeps its remote id when a later answer has none.
            if any(row[2] is not None or row[3] is not None for row in records):
                connection.execute(
                    "INSERT INTO records (identity, hash, remote_id, vals) "
                    f"SELECT {_FIELDS} FROM json_each(?) WHERE true "
                    "ON CONFLICT (identity) DO UPDATE SET hash = excluded.hash, "
                    "remote_id = coalesce(excluded.remote_id, records.remote_id), "
                    "vals = coalesce(excluded.vals, records.vals)",
                    (_json_array(records),),
                )
            elif records:
                # Only identities and hashes (most types): cheaper to run.
                connection.execute(
                    "INSERT INTO records (identity, hash) "
                    f"SELECT {_FIELDS_2} FROM json_each(?) WHERE true "
                    "ON CONFLICT (identity) DO UPDATE SET hash = excluded.hash",
                    (_json_array(records),),
                )
            if staged.forgotten:
                connection.execute(
                    "DELETE FROM records WHERE identity IN (SELECT value FROM json_each(?))",
                    (_json_array(staged.forgotten),),
                )
            if staged.marks:
                connection.executemany("INSERT INTO marks VALUES (?, ?, ?, ?, ?)", staged.marks)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise ConnectorError(
                f"cannot record delivered records in {self.path}: {error}"
            ) from error

    # ------------------------------------------------------------- ledger

    def committed(self, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        """What the markers prove these executions got confirmed (`CommitLedger.committed`)."""
        if not self.path.exists():
            return []
        connection = self._open()
        batches: dict[tuple[str, int], list[tuple[int, int, RecordResult]]] = {}
        for execution_id in dict.fromkeys(execution_ids):
            rows = connection.execute(
                "SELECT batch, first, count, result FROM marks WHERE execution_id = ? "
                "ORDER BY rowid",
                (execution_id,),
            )
            for batch, first, count, result in rows:
                batches.setdefault((execution_id, batch), []).append(
                    (first, count, RecordResult(result))
                )
        return [
            CommittedBatch(execution_id, batch, tuple(runs))
            for (execution_id, batch), runs in batches.items()
        ]

    def forget(self, execution_id: str) -> None:
        """Remove one execution's markers (`CommitLedger.forget`)."""
        if not self.path.exists():
            return
        try:
            self._open().execute("DELETE FROM marks WHERE execution_id = ?", (execution_id,))
        except sqlite3.Error as error:
            raise ConnectorError(
                f"cannot remove delivery markers in {self.path}: {error}"
            ) from error

    def close(self) -> None:
        """Commit what is staged and release the file."""
        if self._connection is not None:
            try:
                self.flush()
            finally:
                self._connection.close()
                self._connection = None


class MemoryLedger(CommitLedger):
    """The commit markers in a sync's record memory, opened for each question."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def committed(self, sync_id: str, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        memory = RecordMemory(self.directory)
        try:
            return memory.committed(execution_ids)
        finally:
            memory.close()

    def forget(self, sync_id: str, execution_id: str) -> None:
        memory = RecordMemory(self.directory)
        try:
            memory.forget(execution_id)
        finally:
            memory.close()
