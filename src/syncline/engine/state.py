"""A sync's confirmed state: which record (key) holds which values (hash) in the target.

Layout under the sync's `state_dir`:

- `state.parquet`: the confirmed state as of the last completed run, as
  ranked rows (`key_high`, `key_low`, `hash`: the numbers of `mapping`, and
  `rank`): a key's hash is that of its highest-ranked row. A first run
  stores its journal's rows as they are, ranked by logging time, instead of
  aggregating them (at ten million records that aggregate alone took 4 s
  and DuckDB's whole memory limit); a rewrite stores one row per key at rank
  0. A state written before ranks were kept has no `rank` column and one
  row per key (rank 0). The generation is in the Parquet key-value metadata.
  It is only ever replaced whole and atomically (`spill.write_durably`).
- `journal/<generation>-<ns>/NNNNNNNN.parquet`: outcome logs of runs that
  did not complete (crashed or canceled) since that state was written, made
  durable batch by batch. They belong to the state: the effective state is
  `state.parquet` overlaid with its journals, later entries winning. A
  journal older than the state's generation was folded in already and is
  deleted.
  A run whose writer marks its commits (see `engine.recovery`) also keeps
  there `run.json` (its execution and how its writer marks commits) and,
  until the run ends, an intent per batch (`NNNNNNNN.intent`: the batch's
  records, made durable before the commit) or, for a writer that publishes
  at finish, its confirmed records as `NNNNNNNN.pending`. Neither is part
  of the state: the next run turns into journal files what the target's
  commit markers prove committed, and drops the rest.
- `runs/<ns>-<pid>/`: one run's scratch space (the spilled model, DuckDB's
  temporary files), removed when the run ends, and at the next run if a
  crash left it behind.
- `snapshot.json`: the snapshot a snapshot run started and did not finish:
  its time, the sync's fingerprint then, the state's generation and the
  journal folders of the runs writing it. The next snapshot run finishes
  it (`pending_snapshot`), unless the state was committed since (a newer
  generation: the run that committed it finished the snapshot).
- `watermark.json`: what the last settled run left for the next one (the
  largest values of the model's tracking columns), replaced atomically.
- `generation.json`: which state of the sync this is, as the metadata store
  records it (`engine.generation`); not to be confused with the
  generation in `state.parquet`, which counts its rewrites and names journals.
- `lock`: held (flock) for the whole run, a local guard against two runs
  sharing the state. Which run may use it is decided by the metadata
  store's run slot (`RunHooks.state_marked` refuses a run that does not hold
  it): network filesystems do not honour flock.

A run that confirms few records against a large state would pay for the
whole model to rewrite `state.parquet`. When its journal overlaid on the
state is the new state (it read only rows changed since the watermark, or
the whole model and the model lost no key of the state), it leaves the
journal in place instead (`keep_journal`): the journal is the change. Once
the journals hold a tenth as many rows as the state (`FOLD_RATIO`), or
more than `MAX_JOURNAL_FILES` files, the next run folds them in.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow.parquet as pq

from syncline.engine.canonical import VERSION as HASH_VERSION
from syncline.engine.duck import literal, literal_list
from syncline.engine.errors import EngineError
from syncline.engine.spill import (
    INTENT_SUFFIX,
    JOURNAL_SUFFIX,
    PENDING_SUFFIX,
    OutcomeLog,
    fsync_directory,
    write_durably,
)

STATE_FILE = "state.parquet"
SNAPSHOT_FILE = "snapshot.json"
RUN_FILE = "run.json"
"""In a journal folder: the execution that wrote it and how its writer marked commits."""
_GENERATION = b"syncline_generation"
WATERMARK_FILE = "watermark.json"
FOLD_RATIO = 10
"""Journals are folded into the state once the state holds at most this many rows per
journal row."""
MAX_JOURNAL_FILES = 100
"""Journals are folded in, too, once they hold more files than this (every run reads them)."""
_HASH_VERSION = b"syncline_hash"
_EMPTY = (
    "SELECT NULL::UBIGINT AS key_high, NULL::UBIGINT AS key_low, NULL::UBIGINT AS hash, "
    "NULL::BIGINT AS rank WHERE false"
)


class StateStore:
    """The state of one sync, held exclusively for one run (use it as a context manager)."""

    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir
        self.state_path = state_dir / STATE_FILE
        self.generation = 0
        self.watermark: str | None = None
        self.hash_version = HASH_VERSION
        """The version of the change hash the stored state was written with."""
        """What the last completed run left for the next (tracking columns), if anything."""
        self.run_dir = state_dir / "runs" / f"{time.time_ns()}-{os.getpid()}"
        self._journal_root = state_dir / "journal"
        self._journals: list[Path] = []
        """Journal folders this run folds in or writes, deleted once the state is committed."""
        self._journal_files: list[str] = []
        """The journal files live when the run started: part of the effective old state."""
        self._ranked = False
        """Whether the stored state has a `rank` column (else every row ranks 0)."""
        self._lock: int | None = None

    def __enter__(self) -> StateStore:
        """Take the lock, clear what crashed runs left, and find the live journals.

        Raises `EngineError` when another run holds this state.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise EngineError(
                f"another run of this sync is using its state in {self.directory}"
            ) from None
        try:
            _clear(self.directory / "runs")
            self.run_dir.mkdir(parents=True)
            if self.state_path.exists():
                stored = pq.read_metadata(self.state_path)
                self._ranked = "rank" in stored.schema.names
                metadata = stored.metadata or {}
                self.generation = int(metadata.get(_GENERATION, b"0"))
                self.hash_version = int(metadata.get(_HASH_VERSION, b"1"))
            watermark = self.directory / WATERMARK_FILE
            self.watermark = watermark.read_text() if watermark.exists() else None
            self._journals = self._live_journals()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self._journal_files = [
            str(path) for journal in self._journals for path in sorted(journal.glob("*.parquet"))
        ]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @property
    def is_new(self) -> bool:
        """Whether no run has confirmed anything yet (no state, no journal)."""
        return not self.state_path.exists() and not self._journal_files

    def outcome_log(self, *, durable: bool, marked: MarkedRun | None = None) -> OutcomeLog:
        """Where this run logs confirmed records.

        A durable log is a journal: it outlives a failed run, so the next run
        does not send those records again. A non-durable one (a replace, whose
        writes count only once finished) lives and dies with the run.

        With `marked`, the run's writer marks its commits: the log is durable
        and keeps intents (`OutcomeLog.intend`), and with `finish` marking its
        files are pending (see the module docstring).
        """
        if not durable and marked is None:
            return OutcomeLog(self.run_dir / "outcomes", durable=False)
        directory = self._journal_root / f"{self.generation:010d}-{time.time_ns():020d}"
        self._journals.append(directory)
        if marked is None:
            return OutcomeLog(directory, durable=True)
        directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"execution": marked.execution_id, "marking": marked.marking})

        def write(path: Path) -> None:
            path.write_text(text)

        write_durably(directory / RUN_FILE, write)
        suffix = PENDING_SUFFIX if marked.marking == "finish" else JOURNAL_SUFFIX
        return OutcomeLog(directory, durable=True, suffix=suffix)

    def unresolved(self) -> list[UnresolvedRun]:
        """The runs whose writers marked commits and that ended before their state was
        committed, with the intents and pending files still to resolve."""
        found = []
        for journal in self._journals:
            owner = journal / RUN_FILE
            if not owner.exists():
                continue
            run = json.loads(owner.read_text())
            journaled = {path.stem for path in journal.glob(f"*{JOURNAL_SUFFIX}")}
            intents = [
                path
                for path in sorted(journal.glob(f"*{INTENT_SUFFIX}"))
                if path.stem not in journaled
            ]
            pending = sorted(journal.glob(f"*{PENDING_SUFFIX}"))
            if intents or pending:
                execution, marking = str(run["execution"]), str(run["marking"])
                found.append(UnresolvedRun(journal, execution, marking, intents, pending))
        return found

    def pending_snapshot(self) -> PendingSnapshot | None:
        """The snapshot an earlier run started and did not finish, if any."""
        path = self.directory / SNAPSHOT_FILE
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        if raw.get("generation") != self.generation:
            return None
        return PendingSnapshot(
            datetime.fromisoformat(raw["time"]), str(raw["fingerprint"]), list(raw["journals"])
        )

    def snapshot_started(
        self, at: datetime, fingerprint: str, log: OutcomeLog, resumed: PendingSnapshot | None
    ) -> None:
        """Record, before the first write, that this run writes the snapshot taken `at`
        (resuming `resumed`) and journals it in `log`."""
        journals = [*(resumed.journals if resumed else []), log.directory.name]
        text = json.dumps(
            {
                "time": at.isoformat(),
                "fingerprint": fingerprint,
                "generation": self.generation,
                "journals": journals,
            }
        )

        def write(path: Path) -> None:
            path.write_text(text)

        write_durably(self.directory / SNAPSHOT_FILE, write)

    def snapshot_files(self, snapshot: PendingSnapshot) -> list[str]:
        """The journal files of the records `snapshot`'s runs wrote."""
        return [
            str(path)
            for name in snapshot.journals
            for path in sorted((self._journal_root / name).glob(f"*{JOURNAL_SUFFIX}"))
        ]

    def resolved(self) -> None:
        """Take the journal files recovery left as part of the state this run starts from."""
        self._journal_files = [str(path) for path in self._journal_paths()]

    def settle(self) -> None:
        """Forget the intents of this run's journals once the state holds what it
        confirmed (they stay, as the state's change, when it is not rewritten), and
        any unfinished snapshot (this run finished it, or is not a snapshot)."""
        for journal in self._journals:
            owned = [*journal.glob(f"*{INTENT_SUFFIX}"), journal / RUN_FILE]
            removed = [path for path in owned if path.exists()]
            for path in removed:
                path.unlink()
            if removed:
                fsync_directory(journal)
        (self.directory / SNAPSHOT_FILE).unlink(missing_ok=True)

    def old_state_sql(self) -> str:
        """SQL for the effective state when this run started, as ranked rows.

        Rows are (`key_high`, `key_low`, `hash`, `rank`): the stored state's
        as stored, journal entries ranked by their logging time (later than
        any stored rank); a key's current hash is its highest-ranked.
        """
        parts = [logged_sql(self._journal_files)] if self._journal_files else []
        if self.state_path.exists():
            stored = f"read_parquet({literal(str(self.state_path))})"
            rank = "rank" if self._ranked else "0::BIGINT"
            parts.insert(0, f"SELECT key_high, key_low, hash, {rank} AS rank FROM {stored}")
        return " UNION ALL ".join(parts) or _EMPTY

    def keep_journal(self) -> bool:
        """Whether this run may leave its journal as the change to the state
        instead of rewriting it: while the journals are small beside the state."""
        paths = self._journal_paths()
        if not self.state_path.exists() or len(paths) > MAX_JOURNAL_FILES:
            return False
        journaled: int = sum(pq.read_metadata(path).num_rows for path in paths)
        stored: int = pq.read_metadata(self.state_path).num_rows
        return journaled * FOLD_RATIO < stored

    def save_watermark(self, watermark: str | None) -> None:
        """Keep `watermark` for the next run (None: keep none), atomically and durably."""
        path = self.directory / WATERMARK_FILE
        if watermark is None:
            path.unlink(missing_ok=True)
        else:

            def write(temporary: Path) -> None:
                temporary.write_text(watermark)

            write_durably(path, write)
        self.watermark = watermark

    def _journal_paths(self) -> list[Path]:
        return [path for journal in self._journals for path in sorted(journal.glob("*.parquet"))]

    def commit(self, connection: duckdb.DuckDBPyConnection, new_state_sql: str) -> None:
        """Replace the state with the ranked rows (`key_high`, `key_low`, `hash`, `rank`)
        of `new_state_sql` (a key's hash is its highest-ranked row's).

        The file is replaced atomically and durably.

        The journals folded into it are deleted afterwards; should that not
        happen, the next run recognises them as older than the state.
        """
        generation = self.generation + 1
        entries = (
            f"syncline_state: '1', syncline_generation: '{generation}', "
            f"syncline_hash: '{HASH_VERSION}'"
        )
        metadata = f"KV_METADATA {{{entries}}}"

        def write(path: Path) -> None:
            connection.execute(
                f"COPY ({new_state_sql}) TO {literal(str(path))} (FORMAT parquet, {metadata})"
            )

        write_durably(self.state_path, write)
        self.generation = generation
        self.hash_version = HASH_VERSION
        for journal in self._journals:
            shutil.rmtree(journal, ignore_errors=True)
        self._journals = []

    def discard(self) -> None:
        """Forget the stored state, its journals and its watermark: the run starts from
        nothing (a state the metadata store never recorded, or a resync of a missing one)."""
        for name in (STATE_FILE, WATERMARK_FILE, SNAPSHOT_FILE):
            (self.directory / name).unlink(missing_ok=True)
        _clear(self._journal_root)
        fsync_directory(self.directory)
        self.generation = 0
        self.hash_version = HASH_VERSION
        self.watermark = None
        self._ranked = False
        self._journals = []
        self._journal_files = []

    def _live_journals(self) -> list[Path]:
        live = []
        for journal in sorted(self._journal_root.glob("*-*")):
            if int(journal.name.split("-", 1)[0]) < self.generation:
                shutil.rmtree(journal, ignore_errors=True)
            else:
                live.append(journal)
        return live


@dataclass(frozen=True)
class MarkedRun:
    """A run whose writer marks its commits: its execution and how (`batch`, `finish`)."""

    execution_id: str
    marking: str


@dataclass(frozen=True)
class PendingSnapshot:
    """A snapshot started and not finished: its time, the sync's fingerprint then
    (`tracking.fingerprint`), and the journal folders of the runs that wrote it."""

    time: datetime
    fingerprint: str
    journals: list[str]


@dataclass(frozen=True)
class UnresolvedRun:
    """A run that ended before its state was committed, with what is left to resolve:
    intents without a journal file (`batch` marking) and pending files (`finish`)."""

    directory: Path
    execution_id: str
    marking: str
    intents: list[Path]
    pending: list[Path]


def logged_sql(files: list[str]) -> str:
    """SQL for the rows of outcome logs, ranked by logging time (as `old_state_sql`)."""
    if not files:
        return _EMPTY
    source = f"read_parquet({literal_list(files)})"
    return f"SELECT key_high, key_low, hash, logged_ns AS rank FROM {source}"


def _clear(directory: Path) -> None:
    if directory.exists():
        for child in directory.iterdir():
            shutil.rmtree(child, ignore_errors=True)
