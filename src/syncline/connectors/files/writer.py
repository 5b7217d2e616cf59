"""The writer of a `files` target: stage every batch, publish the file once at `finish()`.

A file cannot be changed in place safely: appending risks a torn last line
on a crash, and updates and deletes mean rewriting it. So a run works like
this:

- `write(batch)` works out every record's result (matching identities
  against the existing file and the run's earlier batches, see `matching`),
  writes the records that change the file to a staging file in a hidden run
  directory beside the target, fsyncs it, and only then returns. A record
  the file cannot hold (NULL identity, a value its format or column type
  cannot represent) is `REJECTED` with the reason; the rest land.
- `finish()` merges the existing file with the staged records in DuckDB
  (see `merging`), writes the result to a hidden temporary file, fsyncs it
  and `os.replace`s it over the target.

With a plan `mark`, `finish()` leaves a note that the run published,
atomically with the rename (see `markers`), so a crash after it does not
make the next run append the same records again.

So for file targets **records become visible at `finish()`**, all at once:
a run is all or nothing, like a replace on any target. A batch's results
are promises that hold once `finish()` returns. This is sound only when the
engine advances a sync's state (including any journal of confirmed records)
after `finish()` succeeds and not before: a run that fails, is canceled or
crashes before then publishes nothing, and the next execution must send its
records again. A crash or an exception before `finish()`, or `close()`
without `finish()`, leaves the old file byte for byte (readers never see a
partial file). `close()` removes every hidden file the writer made.

Memory is bounded by the batch size: the existing file is only ever read by
DuckDB, out of core, within `memory_limit`, spilling under the run
directory; no file is loaded into Python objects.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.files.columns import IDENTITY_MODES, SNAPSHOT_TYPE, Layout, check_plan
from syncline.connectors.files.formats import FileFormat
from syncline.connectors.files.isolation import isolate
from syncline.connectors.files.markers import remove_note, settle_notes, write_note
from syncline.connectors.files.matching import Matcher
from syncline.connectors.files.merging import SEQ, MergeSpec, merge_query
from syncline.connectors.files.staging import RunArea
from syncline.connectors.files.storage import ROW
from syncline.connectors.files.writing_formats import storage_for
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitMarking,
    RecordResult,
    WritePlan,
    Writer,
)
from syncline.errors import ConnectorError

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "256MB"
"""DuckDB's memory limit per writer; beyond it joins and sorts spill to disk."""

_STAGED: dict[SyncMode, frozenset[RecordResult]] = {
    SyncMode.CREATE: frozenset({RecordResult.INSERTED}),
    SyncMode.UPDATE: frozenset({RecordResult.UPDATED}),
    SyncMode.UPDATE_OR_CREATE: frozenset({RecordResult.INSERTED, RecordResult.UPDATED}),
    SyncMode.REMOVE: frozenset({RecordResult.DELETED}),
    SyncMode.APPEND: frozenset({RecordResult.INSERTED}),
    SyncMode.SNAPSHOT: frozenset({RecordResult.INSERTED}),
    SyncMode.REPLACE: frozenset({RecordResult.INSERTED}),
}
"""Per mode, the results whose records change the file and so are staged."""


@dataclass(frozen=True)
class TargetFile:
    """The file a writer writes: `name` in directory `root`, at `path`.

    `path` is where the file is (symlinks resolved) or will be created;
    `exists` says whether it is there now.
    """

    root: Path
    name: str
    path: Path
    file_format: FileFormat
    exists: bool


class FilesWriter(Writer):
    """Applies a plan to one CSV, JSON Lines or Parquet file (see the module docstring).

    Opening takes the target's lock, so a second writer of the same file
    fails with `ConnectorError` until this one is closed.
    """

    publishes_at_finish = True

    def __init__(
        self, plan: WritePlan, target: TargetFile, *, memory_limit: str = MEMORY_LIMIT
    ) -> None:
        super().__init__(plan)
        check_plan(plan, target.name)
        self.target = target
        self._names = [column.name for column in plan.columns]
        self._storage = storage_for(target.file_format, target.path)
        self._seq = 0
        self._state = "open"
        self._area = RunArea.open(target.root, target.name)
        try:
            self._start_marking()
            self._con = _connect(self._area, memory_limit)
            self._storage.read_columns(self._con)
            self.layout = Layout.of(plan, self._storage)
            seq_field = pa.field(SEQ, pa.int64())
            empty = self._area.stage(self.layout.staged.append(seq_field).empty_table())
            self._matcher = (
                Matcher(
                    self._con,
                    self._storage,
                    self.layout.identity,
                    empty,
                    has_existing=bool(self._storage.columns),
                )
                if plan.mode in IDENTITY_MODES
                else None
            )
        except BaseException as exc:
            self.close()
            if isinstance(exc, ConnectorError) or not _is_target_failure(exc):
                raise
            raise ConnectorError(self._failure("open", exc)) from exc

    def write(self, batch: pa.RecordBatch, number: int | None = None) -> BatchResult:
        """Work out each record's result and stage the changes durably.

        `number` is not needed: a run's commit marker is written at `finish()`.

        Raises `ValueError` for a batch whose columns are not the plan's,
        `ConnectorError` when the directory or DuckDB fails (the writer is
        then unusable and `finish()` refuses to publish).
        """
        self._require_open()
        if batch.schema.names != self._names:
            raise ValueError(
                f"batch columns {', '.join(batch.schema.names)} "
                f"are not the plan's {', '.join(self._names)}"
            )
        try:
            return self._write(batch)
        except Exception as exc:
            if not _is_target_failure(exc):
                raise
            self._state = "failed"
            raise ConnectorError(self._failure("write", exc)) from exc

    def finish(self) -> None:
        """Publish the merged file atomically; see `Writer.finish`.

        A run that changes nothing leaves an existing file untouched; a
        second call does nothing. Raises
        `ConnectorError` for a replace that would empty a file with rows
        (unless `plan.allow_empty_replace`) and when writing fails; the old
        file then stays.
        """
        if self._state == "finished":
            return
        self._require_open()
        try:
            if self._publishes():
                self._publish()
        except Exception as exc:
            if isinstance(exc, ConnectorError) or not _is_target_failure(exc):
                raise
            raise ConnectorError(self._failure("publish", exc)) from exc
        self._state = "finished"

    def close(self) -> None:
        """Release DuckDB, remove every staging file and unlock; the target keeps
        whatever `finish()` published, or its old contents."""
        self._state = "closed"
        con = getattr(self, "_con", None)
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
        self._area.close()

    # ------------------------------------------------------------ internals

    def _start_marking(self) -> None:
        """Settle the commit notes about the file (holding its lock, before anything can
        replace it); with a `mark`, forget this sync's last note (the engine read it
        back before opening this writer) and mark this run's publish."""
        plan, target = self.plan, self.target
        settle_notes(target.root, target.name, target.path)
        if plan.mark is not None and plan.mode is not SyncMode.REPLACE:
            remove_note(target.root, target.name, plan.mark.sync_id)
            self.commit_marking = CommitMarking.FINISH

    def _write(self, batch: pa.RecordBatch) -> BatchResult:
        plan, layout = self.plan, self.layout
        count = batch.num_rows
        table = pa.Table.from_batches([batch]).rename_columns(list(layout.sent[: len(self._names)]))
        if plan.mode is SyncMode.SNAPSHOT:
            stamp = pa.repeat(pa.scalar(plan.snapshot_time, SNAPSHOT_TYPE), count)
            table = table.append_column(layout.sent[-1], stamp)
        table = table.append_column(ROW, pa.array(range(count), pa.int64()))
        results: list[RecordResult | None] = [None] * count
        messages: dict[int, str] = {}
        if self._matcher is not None:
            table = self._reject_empty_identities(table, results, messages)
        parts, rejected = isolate(
            table, lambda rows: self._storage.encode(self._con, rows, layout.staged)
        )
        for row, message in rejected.items():
            results[row], messages[row] = RecordResult.REJECTED, message
        if parts and (encoded := pa.concat_tables(parts)).num_rows:
            if self._matcher is not None:
                outcomes = self._matcher.classify(plan.mode, encoded)
            else:
                outcomes = [RecordResult.INSERTED] * encoded.num_rows
            for row, outcome in zip(encoded.column(ROW).to_pylist(), outcomes, strict=True):
                results[row] = outcome
            self._stage(encoded, outcomes)
        # Every record is now settled: rejected above, or matched just now.
        return BatchResult([result or RecordResult.REJECTED for result in results], messages)

    def _reject_empty_identities(
        self, table: pa.Table, results: list[RecordResult | None], messages: dict[int, str]
    ) -> pa.Table:
        """Reject records with a NULL identity column; return the others."""
        keep = pa.array([True] * table.num_rows)
        for name in self.layout.identity:
            missing = pc.and_(keep, pc.is_null(table.column(name)))
            for row in pc.indices_nonzero(missing).to_pylist():
                results[row] = RecordResult.REJECTED
                messages[row] = (
                    f"identity column {name!r} is empty (NULL); a record needs a value "
                    f"there to be matched against {self.target.name}"
                )
            keep = pc.and_(keep, pc.invert(missing))
        return table.filter(keep)

    def _stage(self, encoded: pa.Table, outcomes: list[RecordResult]) -> None:
        """Stage the records whose results change the file, numbered in run order."""
        wanted = _STAGED[self.plan.mode]
        changes = encoded.filter(pa.array([o in wanted for o in outcomes])).drop_columns([ROW])
        if changes.num_rows == 0:
            return
        numbers = pa.array(range(self._seq, self._seq + changes.num_rows), pa.int64())
        self._area.stage(changes.append_column(SEQ, numbers))
        self._seq += changes.num_rows

    def _publishes(self) -> bool:
        """Whether `finish()` writes the file; raises for a refused empty replace."""
        if self.plan.mode is not SyncMode.REPLACE:
            return self._seq > 0 or not self.target.exists
        if self._seq == 0 and not self.plan.allow_empty_replace:
            rows = self._existing_rows()
            if rows:
                raise ConnectorError(
                    f"refusing to replace {self.target.name} ({rows} rows) with 0 records; "
                    "the file is unchanged; run a resync to empty it"
                )
        return True

    def _publish(self) -> None:
        layout, storage = self.layout, self._storage
        spec = MergeSpec(
            mode=self.plan.mode,
            existing=() if self.plan.mode is SyncMode.REPLACE else tuple(storage.columns),
            sent=layout.sent,
            output=layout.output,
            identity=layout.identity,
            create_only=layout.create_only,
        )
        query, params = merge_query(spec, storage, self._area.staged)
        staged = {field.name: field.type for field in layout.staged}
        schema = pa.schema(
            [
                pa.field(name, storage.staged_type(name, staged.get(name, pa.string())))
                for name in layout.output
            ]
        )
        storage.write(self._con, query, params, self._area.output, schema)
        if self.commit_marking is CommitMarking.FINISH and self.plan.mark is not None:
            write_note(self.target.root, self.target.name, self.plan.mark, self._area.output)
        self._area.publish(self.target.path)

    def _existing_rows(self) -> int:
        if not self._storage.columns:
            return 0
        scan = self._storage.scan()
        row = self._con.execute(f"SELECT count(*) FROM {scan}", self._storage.scan_params())
        found = row.fetchone()
        return int(found[0]) if found else 0

    def _require_open(self) -> None:
        if self._state == "failed":
            raise ConnectorError(
                f"an earlier write to {self.target.name} failed; the file was left unchanged"
            )
        if self._state != "open":
            raise ValueError(f"the writer of {self.target.name} is {self._state}")

    def _failure(self, step: str, exc: BaseException) -> str:
        label = self.target.file_format.label
        return f"cannot {step} {self.target.name} as {label} in {self.target.root}: {exc}"


def _connect(area: RunArea, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB database in the run directory that spills there too."""
    import duckdb

    con = duckdb.connect(
        str(area.database),
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(area.spill),
            # One thread keeps scans in file order, so row_number() numbers
            # rows as the file has them and a rewrite keeps their order.
            "threads": 1,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def _is_target_failure(exc: BaseException) -> bool:
    """Whether `exc` is the file system or DuckDB failing, rather than a bug."""
    import duckdb

    return isinstance(exc, OSError | duckdb.Error | pa.ArrowException)
