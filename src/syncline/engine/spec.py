"""What the engine is asked to do: one run of one sync, described without the store.

The execution layer builds a `RunSpec` from a stored sync and its model and
hands the engine the connectors and `RunHooks`; the engine knows nothing of
the metadata store, HTTP or where it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from syncline.connectors.vocabulary import FilterFunction, IdentityFunction, SyncMode
from syncline.connectors.writing import TargetFilter


@dataclass(frozen=True)
class FieldMapping:
    """One target column: from a model field (`source`) or a fixed value (`constant`)."""

    target: str
    source: str | None = None
    constant: Any = None
    create_only: bool = False
    new: bool = False


@dataclass(frozen=True)
class Condition:
    """One condition over a model field."""

    field: str
    function: FilterFunction
    value: Any = None


@dataclass(frozen=True)
class RowFilter:
    """Labelled conditions and the logic combining them (empty: all must hold)."""

    conditions: Mapping[str, Condition]
    logic: str = ""


@dataclass(frozen=True)
class ValueOverride:
    """Replace a model field's value with `replacement` where the condition holds.

    With no `function`, every value of the field is replaced.
    """

    field: str
    replacement: Any
    function: FilterFunction | None = None
    value: Any = None


@dataclass(frozen=True)
class IdentityPair:
    """A model field matched against a target column."""

    source: str
    target: str


@dataclass(frozen=True)
class RunOptions:
    """How this run treats change detection.

    - `resync`: send every record, ignoring the stored state.
    - `sync_all_records`: the sync always sends every record.
    - `skip_initial_backfill`: on the first run, record the state without writing.
    - `only_identities`: a test run limited to these identity values; the
      state does not advance. A value is the identity as text (`42`), or
      with several identity fields a JSON array of their texts (`["42","eu"]`).
    - `retry_rejected`: records the target rejected are sent again next run
      (the sync's `auto_retry_record_errors`, on by default).
    """

    resync: bool = False
    sync_all_records: bool = False
    skip_initial_backfill: bool = False
    only_identities: tuple[str, ...] | None = None
    retry_rejected: bool = True


@dataclass(frozen=True)
class StateMark:
    """One state of a sync, as its directory and the metadata store both record it.

    `generation` 0 is a state begun by a run that found none (it holds only
    the journal of what that run gets confirmed); every completed run after
    that makes the next. `execution_id` is the run that made it, so two
    states of one generation made on two machines are never taken for each
    other; `hash_version` is the change hash its records were stored with.
    """

    generation: int
    execution_id: str
    hash_version: int


@dataclass(frozen=True)
class StateCheck:
    """What the metadata store knows of a sync's state, which a run must find in `state_dir`.

    - `stored` set: the state last recorded. The run goes on only from that
      state (or from the one its own run made next, when the store missed
      that record); anything else fails the run with `StateMissing`, unless
      the run is a resync, which starts a new generation from nothing.
    - `stored` None, `unrecorded` False: the sync has no state yet (new).
    - `stored` None, `unrecorded` True: the sync's state was kept before
      states were recorded: the directory's is taken, and it must hold one.

    `remedy` ends the message of a missing state: what to set to fix it.
    """

    stored: StateMark | None = None
    unrecorded: bool = False
    remedy: str = ""


@dataclass(frozen=True)
class RunSpec:
    """One run of one sync.

    `identity` is empty for modes without one; records are then keyed by
    the hash of all their mapped values. `state_dir` is this sync's own
    directory for its confirmed state (created when missing).
    `tracking_columns` are model fields whose values grow when a row
    changes; runs after the first then read only rows at or above the
    largest values confirmed (see `engine.tracking`). With a `state_check`
    the run first checks that `state_dir` holds the state the metadata store
    recorded, and reports every state it leaves (`RunHooks.state_marked`);
    without one (the engine on its own, in tests) it takes the directory as
    it finds it.
    `model_name` names the model in messages; `source_connection` and
    `target_connection` name the connections (their names, never their
    configuration), so an error says which side failed. `sync_name` is
    the sync's name, for targets that send it.
    """

    sync_id: str
    execution_id: str
    mode: SyncMode
    source_configuration: Mapping[str, Any]
    mappings: tuple[FieldMapping, ...]
    target_object: str
    state_dir: Path
    identity: tuple[IdentityPair, ...] = ()
    identity_function: IdentityFunction = IdentityFunction.EQUALITY
    create_target: Mapping[str, str] | None = None
    model_filter: RowFilter | None = None
    target_filter: TargetFilter | None = None
    overrides: tuple[ValueOverride, ...] = ()
    snapshot_column: str = "_syncline_snapshot_at"
    options: RunOptions = field(default_factory=RunOptions)
    tracking_columns: tuple[str, ...] = ()
    batch_size: int = 10_000
    memory_limit: str = "128MB"
    """DuckDB's limit for the diff (`engine.duck`)."""
    started_at: datetime | None = None
    state_check: StateCheck | None = None
    model_name: str = ""
    source_connection: str = ""
    target_connection: str = ""
    sync_name: str = ""
    target_configuration: Mapping[str, Any] = field(default_factory=dict)
    """The sync's target configuration (templates, batch sizes of an API target)."""


@dataclass
class Counts:
    """Exact record counts of a run (the execution's `counts`)."""

    total: int = 0
    insert: int = 0
    update: int = 0
    delete: int = 0
    error: int = 0
    warnings: int = 0

    @property
    def upserts(self) -> int:
        """Records inserted or updated."""
        return self.insert + self.update


class RunHooks(Protocol):
    """How the engine reports to whoever runs it. Every call must be cheap."""

    def cancelled(self) -> bool:
        """Whether the run should stop at the next batch boundary."""

    def progress(self, counts: Counts, read: int) -> None:
        """Called after every batch with the counts so far and records read."""

    def log(self, level: str, message: str) -> None:
        """A console line for the execution (`info`, `warning`, `error`)."""

    def records(
        self,
        kind: str,
        values: pa.RecordBatch,
        identities: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        """Some records' fate: `kind` is inserts, updates, deletes, errors or
        warnings; one identity and one message (or None) per row of `values`.
        `records.json_lines` renders them as record-log lines."""

    def state_marked(self, mark: StateMark) -> None:
        """The sync's state directory holds `mark`; record it (only with a `state_check`).

        Called once the state is settled at the start of a run, before
        anything is sent, and again after a completed run made the next
        state durable. Raises when this run may not use the sync's state
        (it does not hold the sync's run slot): the run then stops.
        """


class RunCanceled(Exception):
    """The run stopped at a batch boundary because it was canceled."""
