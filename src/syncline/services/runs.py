"""Running one execution: the only code that runs a sync, wherever an executor puts it.

`run_execution(id)` loads the execution, its sync, model and connections
from the store, runs the engine, and writes status, counts, console lines
and record logs back. It never raises: every outcome ends in the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syncline.connectors.base import Connector, SourceConnector, TargetConnector
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, RunCanceled, RunSpec, StateMark
from syncline.errors import NotFound, SynclineError
from syncline.execution.collector import tune_collector
from syncline.services.auth import Principal
from syncline.services.connections import ConnectionService, call_limits
from syncline.services.full_disk import failed_path, fullest, no_space_left, no_space_message
from syncline.services.record_logging import RecordLogPipe
from syncline.services.shared_state import shared_state
from syncline.services.sync_files import remove_sync_files
from syncline.services.sync_state import record_state, state_check
from syncline.services.syncs.config import SyncConfig
from syncline.services.syncs.runspec import run_spec
from syncline.services.syncs.target import resolve_target
from syncline.settings import Settings
from syncline.store.connections import ConnectionRepository
from syncline.store.db import Store
from syncline.store.executions import TERMINAL_STATUSES, ExecutionRepository
from syncline.store.models import ModelRepository
from syncline.store.record_logs import RecordLogWriter
from syncline.store.secrets import SecretBox
from syncline.store.syncs import SyncRepository
from syncline.store.tables import utcnow

log = logging.getLogger("syncline.runs")

CHECK_EVERY_SECONDS = 0.5
"""How often a run looks at the store for a cancel request, and beats its heart."""


@dataclass(frozen=True)
class Runtime:
    """What running an execution needs of its process.

    `stopping` says the process is shutting down: runs stop at their next
    batch boundary and end `interrupted`, to be redone by a later run.
    """

    store: Store
    box: SecretBox
    settings: Settings
    stopping: Callable[[], bool] = lambda: False


INTERNAL_ERROR = "internal error; the server log has the details"


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: what `_finish` records."""

    status: str
    errors: list[str]
    counts: Counts


def run_execution(runtime: Runtime, execution_id: str) -> None:
    """Run one execution to its end and record the outcome. Never raises.

    Whatever fails on the way (the engine, the console log, the record logs,
    the store), the outcome is recorded by `_finish`: a run that cannot
    record its end leaves the execution to the reaper, which sees its
    heartbeat stop.
    """
    tune_collector()
    try:
        claimed = _claim(runtime, execution_id)
    except Exception:
        log.exception("could not start execution %s", execution_id)
        return
    if claimed is None:
        return
    organization_id, sync_id = claimed
    hooks = StoreHooks(runtime, execution_id)
    outcome = Outcome("failed", [INTERNAL_ERROR], hooks.counts)
    try:
        outcome = _run(runtime, hooks, organization_id, sync_id)
    except Exception:
        log.exception("execution %s failed unexpectedly", execution_id)
        outcome = Outcome("failed", [INTERNAL_ERROR], hooks.counts)
    finally:
        outcome = hooks.close(outcome)
        if not _finish(
            runtime, execution_id, sync_id, outcome.status, outcome.errors, outcome.counts
        ):
            # The sync was deleted while this ran: what the run wrote since goes too.
            remove_sync_files(runtime.settings.data_dir, sync_id, [execution_id])


def _run(runtime: Runtime, hooks: StoreHooks, organization_id: str, sync_id: str) -> Outcome:
    """Prepare and run the sync; how it ended. Raises only what happens outside the
    run itself (in deciding its outcome), which `run_execution` records as internal."""
    paths = [runtime.settings.data_dir, *_store_file(runtime)]
    try:
        spec, source, target = _prepare(runtime, organization_id, sync_id, hooks.execution_id)
        # A cancel interrupts a database call that blocks, not only the next batch.
        limits = call_limits(runtime.settings, hooks.cancelled)
        source.limit_calls(limits)
        target.limit_calls(limits)
        paths += [*local_paths(source), *local_paths(target)]
        hooks.log("info", f"sync started: {spec.mode} into {spec.target_object}")
        counts = run_sync(spec, source, target, hooks)
    except RunCanceled:
        if hooks.failure is not None:
            hooks.log("error", hooks.failure)
            return Outcome("failed", [hooks.failure], hooks.counts)
        status = "interrupted" if runtime.stopping() else "canceled"
        hooks.log("warning", f"sync {status}")
        return Outcome(status, [], hooks.counts)
    except Exception as exc:  # noqa: BLE001 - `_explain` logs what it cannot explain
        errors = _explain(exc, hooks, paths)
        for error in errors:
            hooks.log("error", error)
        return Outcome("failed", errors, hooks.counts)
    hooks.log(
        "info",
        f"sync completed: {counts.insert} inserted, {counts.update} updated, "
        f"{counts.delete} deleted, {counts.error} errors, {counts.warnings} warnings",
    )
    rejected = rejection_summary(counts, hooks.first_rejection)
    if rejected is not None:
        # A run that completed with rejected records is Polytomic's
        # `sync.completed_with_errors`: this is where that event is raised, once
        # Syncline has events.
        hooks.log("warning", rejected)
    return Outcome("completed", [rejected] if rejected else [], counts)


def _explain(exc: Exception, hooks: StoreHooks, paths: list[Path]) -> list[str]:
    """What a failed run's errors say: a full disk named by its file system (once,
    when the hooks named it already), an expected error's message, or that the
    server log has the details."""
    first = hooks.failure
    if no_space_left(exc):
        if first is not None:
            return [first]
        explained = no_space_message(failed_path(exc) or fullest(paths))
    elif isinstance(exc, SynclineError):
        explained = exc.message
    else:
        log.error("execution %s failed unexpectedly", hooks.execution_id, exc_info=exc)
        explained = INTERNAL_ERROR
    return [explained] if first is None or first == explained else [first, explained]


def rejection_summary(counts: Counts, first: tuple[str | None, str] | None) -> str | None:
    """One line on a completed run's rejected records, with the first one's message;
    None when the target took (or confirmed) every record it was sent."""
    if not counts.error:
        return None
    one = counts.error == 1
    if counts.error == counts.total:
        summary = (
            "the only record was rejected" if one else f"all {counts.error} records were rejected"
        )
    else:
        summary = f"{counts.error} of {counts.total} records {'was' if one else 'were'} rejected"
    if first is None:
        return summary
    identity, message = first
    which = "" if one else "; the first"
    shown = f" (identity {identity})" if identity is not None else ""
    return f"{summary}{which}{shown}: {message}"


def _claim(runtime: Runtime, execution_id: str) -> tuple[str, str] | None:
    """Mark the execution running; None when it is gone, over, or canceled before starting."""
    with runtime.store.session() as session:
        repo = ExecutionRepository(session, None)
        execution = repo.find(execution_id)
        if execution is None or execution.status in TERMINAL_STATUSES:
            return None
        now = utcnow()
        if execution.cancel_requested:
            execution.status = "canceled"
            execution.started_at = execution.completed_at = now
            repo.release_slot(execution.sync_id, execution.id)
            return None
        execution.status = "running"
        # `supervised_run` stamped the start already when it claimed the run.
        execution.started_at = execution.started_at or now
        execution.heartbeat_at = now
        return execution.organization_id, execution.sync_id


def _prepare(
    runtime: Runtime, organization_id: str, sync_id: str, execution_id: str
) -> tuple[RunSpec, SourceConnector, TargetConnector]:
    principal = Principal(organization_id=organization_id, organization_name="", method="runner")
    connections = ConnectionService(runtime.store, runtime.box, runtime.settings, principal)
    with runtime.store.session() as session:
        sync = SyncRepository(session, organization_id).get(sync_id)
        execution = ExecutionRepository(session, organization_id).get(execution_id)
        config = SyncConfig.model_validate(sync.config)
        model = ModelRepository(session, organization_id).get(config.model_id)
        model_configuration, model_connection = dict(model.configuration), model.connection_id
        model_name = model.name
        source_name = _connection_name(session, organization_id, model_connection)
        target_name = _connection_name(session, organization_id, config.target.connection_id)
        tracking_columns = [str(column) for column in model.tracking_columns]
        options: Mapping[str, Any] = dict(execution.options)
        retry_rejected = bool(sync.error_handling.get("auto_retry_record_errors", True))
        stored_state = state_check(session, sync_id, execution_id)
    source = connections.connector(model_connection)
    if not isinstance(source, SourceConnector):
        raise SynclineError(f"connection {model_connection} cannot be a model source")
    _, exists = resolve_target(connections, config.target)
    target = connections.connector(config.target.connection_id)
    if not isinstance(target, TargetConnector):
        raise SynclineError(f"connection {config.target.connection_id} cannot be a sync target")
    # An API's rate budget is the connection's, shared with every process using it.
    target.share_state(shared_state(runtime.settings, runtime.store), config.target.connection_id)
    spec = run_spec(
        config,
        sync_id=sync_id,
        execution_id=execution_id,
        source_configuration=model_configuration,
        target_exists=exists,
        options=options,
        data_dir=runtime.settings.data_dir,
        batch_size=runtime.settings.batch_size,
        memory_mb=runtime.settings.engine_memory_mb,
        retry_rejected=retry_rejected,
        tracking_columns=tracking_columns,
        state_check=stored_state,
        model_name=model_name,
        source_connection=source_name,
        target_connection=target_name,
    )
    return spec, source, target


def _connection_name(session: Session, organization_id: str, connection_id: str) -> str:
    """A connection's name, for messages; its id when it has none or is gone."""
    try:
        connection = ConnectionRepository(session, organization_id).get(connection_id)
    except NotFound:
        return connection_id
    return connection.name or connection_id


def _finish(
    runtime: Runtime,
    execution_id: str,
    sync_id: str,
    status: str,
    errors: list[str],
    counts: Counts,
) -> bool:
    """Record the end of an execution; False when it no longer exists (its sync was
    deleted). True also when the store could not be reached: nothing is removed then.

    An execution already ended by someone else (the reaper took this runner for
    dead) keeps the status and errors it was given: the run slot it held may
    belong to another execution by now, and what that one does must not be
    contradicted.
    """
    try:
        with runtime.store.session() as session:
            repo = ExecutionRepository(session, None)
            execution = repo.find(execution_id)
            if execution is not None and execution.status in TERMINAL_STATUSES:
                log.warning(
                    "execution %s was already %s when its runner ended (%s); left as it is",
                    execution_id,
                    execution.status,
                    status,
                )
            elif execution is not None:
                execution.status = status
                execution.errors = errors
                execution.counts = counts_dict(counts)
                execution.completed_at = utcnow()
            repo.release_slot(sync_id, execution_id)
            return execution is not None
    except Exception:
        log.exception("could not record the end of execution %s", execution_id)
        return True


def counts_dict(counts: Counts) -> dict[str, int]:
    """Counts as the API shows them."""
    return {
        "total": counts.total,
        "insert": counts.insert,
        "update": counts.update,
        "upserts": counts.upserts,
        "delete": counts.delete,
        "error": counts.error,
        "warnings": counts.warnings,
    }


class StoreHooks:
    """Engine hooks that report into the store and the record-log files.

    A console line the store cannot take is dropped (and logged). When the
    store or the record logs find the disk full, `failure` says so and
    `cancelled` stops the run at its next batch boundary. Only a heartbeat
    that cannot reach the store for another reason raises (and fails the run).
    """

    def __init__(self, runtime: Runtime, execution_id: str) -> None:
        self.runtime = runtime
        self.execution_id = execution_id
        self.counts = Counts()
        self.read = 0
        self.first_rejection: tuple[str | None, str] | None = None
        """The identity and message of the first record reported under `errors`."""
        self._records = RecordLogPipe(RecordLogWriter(runtime.settings.data_dir, execution_id))
        self._store_full: str | None = None
        self._checked = 0.0
        self._checking = threading.Lock()
        self._cancelled = False
        self._stored = counts_dict(self.counts)
        """The counts last stored."""

    @property
    def failure(self) -> str | None:
        """Why the run cannot go on (the disk is full, named), or None."""
        return self._records.full or self._store_full

    def cancelled(self) -> bool:
        """Whether the run must stop: a cancel was requested (the store is looked at
        most every half second), the process is stopping, or `failure`."""
        # Asked from the run's threads and from the guard of its database calls
        # (`connectors.calls`): one look at the store at a time.
        with self._checking:
            now = time.monotonic()
            if now - self._checked >= CHECK_EVERY_SECONDS:
                self._checked = now
                self._cancelled = self._beat()
            return self._cancelled or self.runtime.stopping() or self.failure is not None

    def progress(self, counts: Counts, read: int) -> None:
        """Keep the latest counts, and store them at once when a batch changed them:
        a run that dies after a batch shows what its target holds."""
        self.counts, self.read = counts, read
        if counts_dict(counts) != self._stored:
            self._checked = 0.0
        self.cancelled()

    def log(self, level: str, message: str) -> None:
        """Store a console line; dropped when the execution is gone (its sync was
        deleted) or the store cannot take it."""
        try:
            with self.runtime.store.session() as session:
                ExecutionRepository(session, None).add_log(self.execution_id, level, message)
        except IntegrityError:
            log.info("execution %s is gone; console line dropped: %s", self.execution_id, message)
        except Exception as exc:
            if not no_space_left(exc):
                log.exception(
                    "console line of execution %s dropped: %s", self.execution_id, message
                )
                return
            log.warning("console line of execution %s dropped: %s", self.execution_id, message)
            self._full_store(exc)

    def records(
        self,
        kind: str,
        values: pa.RecordBatch,
        identities: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        """Hand records to the record-log thread."""
        if kind == "errors" and self.first_rejection is None and values.num_rows:
            self.first_rejection = (identities[0], messages[0] or "rejected by the target")
        self._records.put(kind, values, identities, messages)

    def state_marked(self, mark: StateMark) -> None:
        """Record the state the run left in the store (`sync_state.record_state`)."""
        record_state(self.runtime.store, self.execution_id, mark)

    def close(self, outcome: Outcome) -> Outcome:
        """Write out the record logs (a console warning says if they are incomplete);
        `outcome`, made `failed` when the run found the disk full, even if only the
        record logs noticed after the engine ended (what it confirmed stays so)."""
        problem = self._records.close()
        if problem is not None:
            self.log("warning", problem)
        failure = self.failure
        if failure is None or (outcome.status == "failed" and failure in outcome.errors):
            return outcome
        self.log("error", failure)
        return Outcome("failed", [failure, *outcome.errors], outcome.counts)

    def _beat(self) -> bool:
        """Store the heartbeat and the counts; whether a cancel was requested."""
        counts = self.counts
        try:
            with self.runtime.store.session() as session:
                execution = ExecutionRepository(session, None).find(self.execution_id)
                if execution is None or execution.status in TERMINAL_STATUSES:
                    # Deleted with its sync, or ended by the reaper: stop here.
                    return True
                execution.heartbeat_at = utcnow()
                execution.counts = stored = counts_dict(counts)
                cancel = execution.cancel_requested
        except Exception as exc:
            if not no_space_left(exc):
                raise
            self._full_store(exc)
            return False
        self._stored = stored
        return cancel

    def _full_store(self, exc: Exception) -> None:
        log.warning("the metadata store is full: %s", exc)
        if self._store_full is None:
            store = _store_file(self.runtime)
            self._store_full = no_space_message(
                store[0] if store else self.runtime.settings.data_dir
            )


def local_paths(connector: Connector) -> list[Path]:
    """The paths on this machine a connector's configuration names (`sqlite`, `files`)."""
    config = connector.config
    fields = type(config).local_path_fields()
    return [Path(str(value)) for name in fields if (value := getattr(config, name, None))]


def _store_file(runtime: Runtime) -> list[Path]:
    """The metadata store's file, when it is SQLite."""
    url = make_url(runtime.store.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return [Path(url.database)]
    return []
