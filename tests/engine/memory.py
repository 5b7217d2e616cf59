"""In-memory connectors and hooks for engine unit tests (never a stand-in for a database).

`MemorySource` serves rows held in a list (change the list between runs);
`GeneratedSource` produces batches lazily so a large model never exists in
memory at once. `MemoryTarget` keeps its records in a list, applies every
mode as `connectors.writing` describes it, and can reject records matching
a predicate or fail a given write to simulate a crash; with `marks` its
writers record commit markers with each batch, as a transactional database
does. `RecordingHooks` keeps everything the engine reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from syncline.connectors.base import (
    Capabilities,
    ConnectorConfig,
    Field,
    ModeSupport,
    SourceConnector,
    SourceDescription,
    TargetCapabilities,
    TargetConnector,
    TargetDescription,
    TargetObject,
)
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitLedger,
    CommitMarking,
    CommittedBatch,
    RecordResult,
    TargetFilter,
    WritePlan,
    Writer,
)
from syncline.engine.records import json_lines
from syncline.engine.spec import Counts, StateMark
from syncline.errors import ConnectorError

Row = dict[str, Any]


class MemoryConfig(ConnectorConfig):
    """The in-memory connectors need no configuration."""


class MemorySource(SourceConnector):
    """A model held as a list of rows with a fixed schema."""

    type_id = "memory"
    name = "Memory"
    capabilities = Capabilities(source=True, destination=False)
    config_model = MemoryConfig

    def __init__(self, schema: pa.Schema, rows: Sequence[Row] = ()) -> None:
        super().__init__(MemoryConfig())
        self.schema = schema
        self.rows = list(rows)
        self.reads = 0

    def check(self) -> None:
        """Always reachable."""

    def describe_source(self, params: Mapping[str, Sequence[str]]) -> SourceDescription:
        return SourceDescription(items={}, requires_one_of=[], configuration={})

    def source_fields(self, configuration: Mapping[str, Any]) -> list[Field]:
        return [Field(f.name, FieldType.UNKNOWN, str(f.type), f.type) for f in self.schema]

    def read(
        self,
        configuration: Mapping[str, Any],
        *,
        batch_size: int = 10_000,
        limit: int | None = None,
        where: TargetFilter | None = None,
    ) -> pa.RecordBatchReader:
        self.reads += 1
        table = pa.Table.from_pylist(self.rows[:limit], schema=self.schema)
        return pa.RecordBatchReader.from_batches(
            self.schema, table.to_batches(max_chunksize=batch_size)
        )


class GeneratedSource(MemorySource):
    """A model of `count` rows made batch by batch by `make(start, length)` when read."""

    def __init__(
        self, schema: pa.Schema, count: int, make: Callable[[int, int], pa.RecordBatch]
    ) -> None:
        super().__init__(schema)
        self.count = count
        self.make = make

    def read(
        self,
        configuration: Mapping[str, Any],
        *,
        batch_size: int = 10_000,
        limit: int | None = None,
        where: TargetFilter | None = None,
    ) -> pa.RecordBatchReader:
        def batches() -> Iterator[pa.RecordBatch]:
            for start in range(0, self.count, batch_size):
                yield self.make(start, min(batch_size, self.count - start))

        return pa.RecordBatchReader.from_batches(self.schema, batches())


@dataclass
class MemoryTarget(TargetConnector):
    """A target object held as a list of records.

    `reject(record)` returns a message to reject a record with, or None.
    `fail_on_write` makes that write call (1-based, counted over the
    target's life) raise `ConnectorError` before applying anything.
    `keep=False` stores nothing, not even what it was sent, and answers
    INSERTED to everything. With `marks`, each write records a commit marker
    (sync id, `CommittedBatch`) in `markers` together with its records.
    """

    type_id = "memory"
    name = "Memory"
    capabilities = Capabilities(source=False, destination=True)
    config_model = MemoryConfig
    target_capabilities = TargetCapabilities()

    rows: list[Row] = field(default_factory=list)
    reject: Callable[[Row], str | None] | None = None
    fail_on_write: int | None = None
    keep: bool = True
    plans: list[WritePlan] = field(default_factory=list)
    batches: list[list[Row]] = field(default_factory=list)
    writes: int = 0
    finished: int = 0
    marks: bool = False
    markers: list[tuple[str, CommittedBatch]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(MemoryConfig())

    def check(self) -> None:
        """Always reachable."""

    def target_objects(self) -> list[TargetObject]:
        modes = tuple(ModeSupport(mode, requires_identity=False) for mode in SyncMode)
        return [TargetObject("records", "records", modes)]

    def describe_target(self, object_id: str) -> TargetDescription:
        return TargetDescription(
            object_id, object_id, [], self.target_objects()[0].modes, self.target_capabilities
        )

    def open_writer(self, plan: WritePlan) -> Writer:
        self.plans.append(plan)
        return MemoryWriter(plan, self)

    def commit_ledger(
        self, object_id: str, create: Mapping[str, str] | None = None
    ) -> CommitLedger | None:
        return MemoryLedger(self) if self.marks else None

    @property
    def sent(self) -> list[Row]:
        """Every record handed to a writer, in order, over the target's life."""
        return [row for batch in self.batches for row in batch]


class MemoryWriter(Writer):
    """Applies a plan to a `MemoryTarget`, record by record, as `connectors.writing` says."""

    def __init__(self, plan: WritePlan, target: MemoryTarget) -> None:
        super().__init__(plan)
        self.target = target
        self.staged: list[Row] = []
        if target.marks and plan.mark is not None and plan.mode is not SyncMode.REPLACE:
            self.commit_marking = CommitMarking.BATCH
            # As a database writer: the engine read this sync's markers back already.
            sync_id = plan.mark.sync_id
            target.markers = [(sync, m) for sync, m in target.markers if sync != sync_id]

    def write(self, batch: pa.RecordBatch, number: int | None = None) -> BatchResult:
        result = self._write(batch)
        mark = self.plan.mark
        if self.commit_marking is CommitMarking.BATCH and mark is not None and number is not None:
            applied = [
                (index, 1, outcome)
                for index, outcome in enumerate(result.results)
                if outcome is not RecordResult.REJECTED
            ]
            marker = CommittedBatch(mark.execution_id, number, tuple(applied))
            self.target.markers.append((mark.sync_id, marker))
        return result

    def _write(self, batch: pa.RecordBatch) -> BatchResult:
        assert batch.schema.names == [column.name for column in self.plan.columns]
        target = self.target
        target.writes += 1
        if target.fail_on_write == target.writes:
            raise ConnectorError("the connection to the target was lost")
        if not target.keep:
            return BatchResult([RecordResult.INSERTED] * batch.num_rows)
        records = batch.to_pylist()
        target.batches.append(records)
        results: list[RecordResult] = []
        messages: dict[int, str] = {}
        for index, record in enumerate(records):
            refusal = target.reject(record) if target.reject else None
            if refusal is not None:
                results.append(RecordResult.REJECTED)
                messages[index] = refusal
            else:
                results.append(self._apply(record))
        return BatchResult(results, messages)

    def finish(self) -> None:
        self.target.finished += 1
        if self.plan.mode is not SyncMode.REPLACE:
            return
        if not self.staged and self.target.rows and not self.plan.allow_empty_replace:
            raise ConnectorError("refusing to replace the target's records with nothing")
        self.target.rows[:] = self.staged

    def close(self) -> None:
        self.staged = []

    def _apply(self, record: Row) -> RecordResult:
        mode, rows = self.plan.mode, self.target.rows
        if mode is SyncMode.APPEND:
            rows.append(record)
            return RecordResult.INSERTED
        if mode is SyncMode.SNAPSHOT:
            assert self.plan.snapshot_column is not None
            rows.append({**record, self.plan.snapshot_column: self.plan.snapshot_time})
            return RecordResult.INSERTED
        if mode is SyncMode.REPLACE:
            self.staged.append(record)
            return RecordResult.INSERTED
        match = self._match(record)
        if match is None:
            if mode in (SyncMode.CREATE, SyncMode.UPDATE_OR_CREATE):
                rows.append(record)
                return RecordResult.INSERTED
            return RecordResult.NOT_FOUND
        if not self._allowed(rows[match]):
            return RecordResult.SKIPPED
        if mode is SyncMode.REMOVE:
            del rows[match]
            return RecordResult.DELETED
        if mode is SyncMode.CREATE:
            return RecordResult.SKIPPED
        rows[match] = self._updated(rows[match], record)
        return RecordResult.UPDATED

    def _match(self, record: Row) -> int | None:
        identity = self.plan.identity
        for index, row in enumerate(self.target.rows):
            if all(row.get(column) == record[column] for column in identity):
                return index
        return None

    def _allowed(self, row: Row) -> bool:
        """The target filter, as equality conditions that must all hold."""
        target_filter = self.plan.target_filter
        if target_filter is None:
            return True
        return all(row.get(c.field) == c.value for c in target_filter.conditions.values())

    def _updated(self, row: Row, record: Row) -> Row:
        updated = dict(row)
        for column in self.plan.columns:
            if column.create_only and row.get(column.name) not in (None, ""):
                continue
            updated[column.name] = record[column.name]
        return updated


class MemoryLedger(CommitLedger):
    """The markers of a `MemoryTarget`."""

    def __init__(self, target: MemoryTarget) -> None:
        self.target = target

    def committed(self, sync_id: str, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        return [
            marker
            for sync, marker in self.target.markers
            if sync == sync_id and marker.execution_id in execution_ids
        ]

    def forget(self, sync_id: str, execution_id: str) -> None:
        self.target.markers = [
            (sync, marker)
            for sync, marker in self.target.markers
            if sync != sync_id or marker.execution_id != execution_id
        ]


@dataclass
class RecordingHooks:
    """`RunHooks` that keep every call; `cancel_after` cancels after that many checks."""

    cancel_after: int | None = None
    checks: int = 0
    reported: list[tuple[str, str | None, dict[str, Any], str | None]] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    progress_calls: list[tuple[Counts, int]] = field(default_factory=list)
    marks: list[StateMark] = field(default_factory=list)

    def cancelled(self) -> bool:
        self.checks += 1
        return self.cancel_after is not None and self.checks > self.cancel_after

    def progress(self, counts: Counts, read: int) -> None:
        self.progress_calls.append((Counts(**vars(counts)), read))

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def records(
        self,
        kind: str,
        values: pa.RecordBatch,
        identities: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        for line in json_lines(values, identities, messages).to_pylist():
            entry = json.loads(line)
            self.reported.append((kind, entry["identity"], entry["record"], entry.get("message")))

    def state_marked(self, mark: StateMark) -> None:
        self.marks.append(mark)

    def kinds(self, kind: str) -> list[str | None]:
        """The identities of the records reported as `kind`."""
        return [identity for k, identity, _, _ in self.reported if k == kind]
