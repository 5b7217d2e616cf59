"""The target side's writing contract: a plan, a writer, and per-record results.

The engine opens a writer with a `WritePlan` (`TargetConnector.open_writer`),
hands it record batches, and learns from each `BatchResult` what happened to
every record. A writer commits a batch durably before returning its result;
a bad record is isolated and reported as `REJECTED` with the target's own
message (or one as precise) while the rest of the batch lands.

Modes, as a writer applies them to each batch of records:

- `create`: insert records whose identity is not in the target (`INSERTED`);
  existing ones are left alone (`SKIPPED`).
- `update`: update records whose identity matches (`UPDATED`); no match is
  `NOT_FOUND`; a match the target filter excludes is `SKIPPED`.
- `updateOrCreate`: update matches, insert the rest.
- `append`: insert every record.
- `snapshot`: insert every record with `snapshot_column` = `snapshot_time`.
- `remove`: delete target records whose identity matches (`DELETED`), else
  `NOT_FOUND`; the target filter restricts which may be deleted.
- `replace`: stage every record; `finish()` swaps the staged rows in as the
  whole content, atomically. Until then the old contents stay visible.

A `WriteColumn` with `create_only` (the per-field sync mode "create") is
written on insert, and on update only where the target value is empty
(NULL or ''). A column with `new` does not exist yet: the writer adds it,
typed from its Arrow type, before the first write. When `create` is set the
target object itself does not exist yet and the writer creates it.

Commit markers close the gap between a writer committing a batch and the
engine recording that it did: a crash there would otherwise send the batch
again, duplicating it in `append` and `snapshot`. A plan with a `mark` asks
the writer to record, atomically with the records, which execution wrote
which batch (`CommitMarking` says how it can, as data); after a crash the
engine reads them back through the target's `CommitLedger` and counts the
batches they prove as written.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import pyarrow as pa

from syncline.connectors.vocabulary import FilterFunction, IdentityFunction, SyncMode


class RecordResult(StrEnum):
    """What a writer did with one record."""

    INSERTED = "inserted"
    UPDATED = "updated"
    DELETED = "deleted"
    SKIPPED = "skipped"
    NOT_FOUND = "not_found"
    REJECTED = "rejected"


@dataclass(frozen=True)
class BatchResult:
    """The result of every record of a batch, in the batch's order.

    `messages` maps a record's index to the target's explanation; every
    `REJECTED` record has one.
    """

    results: list[RecordResult]
    messages: dict[int, str] = field(default_factory=dict)


class CommitMarking(StrEnum):
    """How a writer records its commits so a later run can tell what landed.

    - `none`: it cannot (a table without transactions): a crash between a
      commit and the engine's journal sends that batch again.
    - `batch`: each `write` records a marker in the transaction that
      commits the batch's records (`CommittedBatch`).
    - `finish`: records become visible at `finish()` only, which publishes
      a marker atomically with them (one `CommittedBatch` with no batch
      number stands for every batch of the execution).
    """

    NONE = "none"
    BATCH = "batch"
    FINISH = "finish"


@dataclass(frozen=True)
class CommitMark:
    """Who writes: the sync and execution every commit marker names."""

    sync_id: str
    execution_id: str


@dataclass(frozen=True)
class CommittedBatch:
    """A commit a marker proves: records of batch `batch` of `execution_id`.

    `outcomes` are runs `(first index, count, result)` of the batch's
    records that the commit applied, with their results (a SQL target
    commits a batch once, bad records or not, so one marker covers it; a
    target committing a batch in parts marks each part). With
    `batch` None (a `finish` marker) every batch the execution wrote landed,
    with the results its writes reported.
    """

    execution_id: str
    batch: int | None = None
    outcomes: tuple[tuple[int, int, RecordResult], ...] = ()


class CommitLedger(ABC):
    """The commit markers writers left on one target object, read back after a crash.

    It holds nothing open between calls.
    """

    @abstractmethod
    def committed(self, sync_id: str, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        """What the markers of `sync_id` prove these executions committed.

        Raises `ConnectorError` when the target cannot be read.
        """

    @abstractmethod
    def forget(self, sync_id: str, execution_id: str) -> None:
        """Remove the markers of one execution of `sync_id`: its state holds what they
        proved. Raises `ConnectorError` when the target cannot be written (a writer
        of the sync's next run removes them then)."""


@dataclass(frozen=True)
class SyncContext:
    """The sync a target connector writes for, given before a run uses it
    (`TargetConnector.attach`).

    - `directory`: this sync's own folder beside its state, where a target
      may keep what it must remember of each record between runs (an API's
      remote ids, the values it was last sent); removed with the sync.
    - `test`: a test run limited to some identities: a target may show each
      request and response in the console (`log`).
    - `log`: a console line for the execution (`info`, `warning`, `error`).
    """

    sync_id: str
    execution_id: str
    directory: Path
    sync_name: str = ""
    test: bool = False
    log: Callable[[str, str], None] = lambda level, message: None


@dataclass(frozen=True)
class RecordKeys:
    """Who the records of a batch are, for writers that ask (`KeyedWriter`).

    `identities[i]` is record i's identity as text (with no identity: its
    hash as text) and `hashes[i]` the change hash of its mapped values: the
    same record with the same values has the same pair in every run.
    """

    identities: Sequence[str]
    hashes: Sequence[int]


@dataclass(frozen=True)
class WriteColumn:
    """A target column the engine sends values for."""

    name: str
    arrow_type: pa.DataType
    create_only: bool = False
    new: bool = False


@dataclass(frozen=True)
class TargetCondition:
    """One condition of a target filter, over a target column."""

    field: str
    function: FilterFunction
    value: Any = None


@dataclass(frozen=True)
class TargetFilter:
    """Which target records a sync may touch: labelled conditions and their logic.

    `logic` uses `syncline.connectors.filter_logic`; empty means all conditions.
    """

    conditions: Mapping[str, TargetCondition]
    logic: str = ""


@dataclass(frozen=True)
class WritePlan:
    """Everything a writer needs to apply one execution to one target object.

    `identity` names the target columns that identify a record (all must be
    equal under `identity_function`); it is empty for modes without one.
    Batches carry exactly the `columns`, in order, with those Arrow types.
    """

    object_id: str
    mode: SyncMode
    columns: tuple[WriteColumn, ...]
    identity: tuple[str, ...] = ()
    identity_function: IdentityFunction = IdentityFunction.EQUALITY
    create: Mapping[str, str] | None = None
    target_filter: TargetFilter | None = None
    snapshot_column: str | None = None
    snapshot_time: datetime | None = None
    allow_empty_replace: bool = False
    configuration: Mapping[str, Any] = field(default_factory=dict)
    """The sync's target configuration, as `check_target_configuration` stored it."""
    mark: CommitMark | None = None
    """Record commit markers naming this sync and execution, where the writer can
    (`Writer.commit_marking`); a replace never needs them (it is all or nothing)."""


class Writer(ABC):
    """Applies batches of records to one target object by a plan.

    Use it as a context manager: leaving the block closes it, and a replace
    that did not `finish()` leaves the old contents in place.

    `publishes_at_finish` is declared by writers whose records become
    visible only at `finish()` in every mode (a file rewritten atomically):
    for them a run is all or nothing, so the engine confirms nothing before
    `finish()` succeeds.

    `commit_marking` says how this writer records commit markers for a plan
    with a `mark` (see `CommitMarking`); it is `none` without one.

    A `KeyedWriter` is also told who the records are.
    """

    publishes_at_finish: ClassVar[bool] = False

    def __init__(self, plan: WritePlan) -> None:
        self.plan = plan
        self.commit_marking = CommitMarking.NONE
        self.marking_problem: str | None = None
        """Why a writer that could mark commits does not, for the run's console."""

    @abstractmethod
    def write(self, batch: pa.RecordBatch, number: int | None = None) -> BatchResult:
        """Apply one batch by the plan's mode and commit it durably.

        `number` is the batch's number in the execution; with `commit_marking`
        `batch`, the commit records it in a marker (see `CommittedBatch`).

        Raises `ConnectorError` only when nothing of the batch could be
        applied because the target itself failed (connection lost, object
        dropped); a record the target refuses is a `REJECTED` result instead.
        A connection lost while committing may leave the batch committed:
        its marker then says so.
        """

    @abstractmethod
    def finish(self) -> None:
        """Complete the run: for `replace`, swap the staged rows in atomically.

        Raises `ConnectorError` when a replace would empty a target that has
        rows while nothing was staged, unless `plan.allow_empty_replace`.
        Other modes have nothing left to do.
        """

    @abstractmethod
    def close(self) -> None:
        """Release every resource; an unfinished replace leaves the old contents."""

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class KeyedWriter(Writer):
    """A writer that is told each record's identity and change hash (an API target
    derives idempotency keys from them and remembers records by identity)."""

    @abstractmethod
    def write(
        self, batch: pa.RecordBatch, number: int | None = None, *, keys: RecordKeys | None = None
    ) -> BatchResult:
        """`Writer.write`, with the batch's `keys` (the engine always gives them)."""
