"""Finishing a snapshot that an earlier run started: each snapshot in the target is whole.

A snapshot run appends every record of the model stamped with the run's
time. A run that stops halfway (a crash, a cancel, a lost connection)
leaves part of that snapshot in the target. The next snapshot run does
not start another one beside it: it finishes that one, under its time,
writing only the records its runs have not written yet (`Diff.remaining`
against their journal, which recovery completed from the target's commit
markers). So the target holds, per snapshot time, the model exactly once.

When the sync changed since (its fingerprint differs: another model,
mapping or filter), the unfinished snapshot cannot be finished with the
same records; it is left as it is, with a console warning, and the run
takes a new one.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

import pyarrow as pa

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.diff import Diff
from syncline.engine.spec import RunHooks, RunSpec
from syncline.engine.spill import OutcomeLog
from syncline.engine.state import PendingSnapshot, StateStore, logged_sql
from syncline.engine.tracking import fingerprint


def unfinished_snapshot(
    spec: RunSpec, store: StateStore, hooks: RunHooks
) -> PendingSnapshot | None:
    """The snapshot this run is to finish, if `spec` is a snapshot run and one is left."""
    if spec.mode is not SyncMode.SNAPSHOT or spec.options.only_identities is not None:
        return None
    pending = store.pending_snapshot()
    if pending is None:
        return None
    if pending.fingerprint != fingerprint(spec):
        hooks.log(
            "warning",
            f"the snapshot taken at {pending.time.isoformat()} was not finished, and the sync "
            "has changed since: it stays incomplete in the target, and this run takes a new one",
        )
        return None
    hooks.log(
        "info",
        f"finishing the snapshot taken at {pending.time.isoformat()}, which an earlier run "
        "did not finish: only its records not written yet are sent",
    )
    return pending


def remaining(
    diff: Diff, store: StateStore, pending: PendingSnapshot, batch_size: int
) -> Generator[pa.RecordBatch]:
    """The model's records `pending`'s runs have not written yet."""
    return diff.remaining(logged_sql(store.snapshot_files(pending)), batch_size)


def snapshot_started(
    spec: RunSpec,
    store: StateStore,
    log: OutcomeLog | None,
    at: datetime,
    pending: PendingSnapshot | None,
) -> None:
    """Before a snapshot run writes: record that it writes the snapshot taken `at`
    (so a run after a crash finishes it). Only a durable log can tell what it wrote."""
    if spec.mode is SyncMode.SNAPSHOT and log is not None and log.durable:
        store.snapshot_started(at, fingerprint(spec), log, pending)
