"""The target side's writing contract: a plan, a writer, and per-record results.

The engine opens a writer with a `WritePlan` (`TargetConnector.open_writer`),
hands it record batches, and learns from each `BatchResult` what happened to
every record. A writer commits a batch durably before returning its result;
a bad record is isolated (bisecting the batch) and reported as `REJECTED`
with the target's own message while the rest of the batch lands.

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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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


class Writer(ABC):
    """Applies batches of records to one target object by a plan.

    Use it as a context manager: leaving the block closes it, and a replace
    that did not `finish()` leaves the old contents in place.

    `publishes_at_finish` is declared by writers whose records become
    visible only at `finish()` in every mode (a file rewritten atomically):
    for them a run is all or nothing, so the engine confirms nothing before
    `finish()` succeeds.
    """

    publishes_at_finish: ClassVar[bool] = False

    def __init__(self, plan: WritePlan) -> None:
        self.plan = plan

    @abstractmethod
    def write(self, batch: pa.RecordBatch) -> BatchResult:
        """Apply one batch by the plan's mode and commit it durably.

        Raises `ConnectorError` only when nothing of the batch could be
        applied because the target itself failed (connection lost, object
        dropped); a record the target refuses is a `REJECTED` result instead.
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
