"""Recovering what a crashed run committed but never journaled, from commit markers.

A writer commits a batch, then the engine counts it, reports its records
and journals the ones the target confirmed. A crash in between used to lose
the journal entry while the target kept the records: the next run sent the
batch again, and an append held it twice. Now, for a writer that marks its
commits (`connectors.writing.CommitMarking`):

- `batch`: before each write the engine makes the batch's records durable
  as an intent (`OutcomeLog.intend`), and the writer commits, with the
  records, a marker naming the execution, the batch and each applied
  record's result;
- `finish`: the engine keeps each batch's confirmed records as pending
  files, and the writer publishes a marker atomically with the records.

Before a run of the sync uses its state, `recover` asks the target's
`CommitLedger` what the unresolved runs committed: an intent with markers
becomes a journal file of exactly the records they show confirmed (ranked
at the intent's time, so batch order is kept); pending files of a
published run become journal files; everything else is dropped, because
it never landed. Each journal file is made durable before the intent or
pending file it replaces goes, so a crash during recovery only repeats it.

Once a run's state is committed, its markers have nothing left to prove:
`forget_markers` removes them (a writer of the next run removes them
otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from syncline.connectors.base import TargetConnector
from syncline.connectors.writing import CommittedBatch
from syncline.engine.records import CONFIRMED
from syncline.engine.spec import RunHooks, RunSpec
from syncline.engine.spill import JOURNAL_SUFFIX, PLAIN_PARQUET, fsync_directory, write_durably
from syncline.engine.state import StateStore, UnresolvedRun
from syncline.errors import ConnectorError


def recover(store: StateStore, target: TargetConnector, spec: RunSpec, hooks: RunHooks) -> int:
    """Resolve the intents and pending files crashed runs of `spec`'s sync left; how
    many records the target's markers proved written (now journaled).

    Raises the target's `ConnectorError` when its markers cannot be read;
    nothing is resolved then, and the next run tries again.
    """
    unresolved = store.unresolved()
    if not unresolved:
        return 0
    committed: list[CommittedBatch] = []
    ledger = target.commit_ledger(spec.target_object, spec.create_target)
    if ledger is not None:
        committed = ledger.committed(spec.sync_id, [run.execution_id for run in unresolved])
    recovered = sum(_resolve(run, committed) for run in unresolved)
    store.resolved()
    if recovered:
        executions = ", ".join(sorted({run.execution_id for run in unresolved}))
        hooks.log(
            "info",
            f"recovered {recovered} records that an earlier run ({executions}) wrote "
            "but did not record before it stopped; they are not sent again",
        )
    return recovered


def forget_markers(target: TargetConnector, spec: RunSpec, hooks: RunHooks) -> None:
    """Remove this run's commit markers, its state being committed; a failure is a
    console warning (the next run's writer removes them)."""
    ledger = target.commit_ledger(spec.target_object, spec.create_target)
    if ledger is None:
        return
    try:
        ledger.forget(spec.sync_id, spec.execution_id)
    except ConnectorError as exc:
        hooks.log(
            "warning",
            f"could not remove this run's commit markers ({exc.message}); "
            "the next run removes them",
        )


def _resolve(run: UnresolvedRun, committed: list[CommittedBatch]) -> int:
    """Turn what `committed` proves of `run` into journal files; drop the rest."""
    mine = [batch for batch in committed if batch.execution_id == run.execution_id]
    recovered = 0
    if run.marking == "finish":
        published = any(batch.batch is None for batch in mine)
        for path in run.pending:
            if published:
                recovered += pq.read_metadata(path).num_rows
                path.replace(path.with_suffix(JOURNAL_SUFFIX))
            else:
                path.unlink()
    else:
        runs: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
        for batch in mine:
            if batch.batch is not None:
                runs[batch.batch].extend(
                    (first, count, result in CONFIRMED) for first, count, result in batch.outcomes
                )
        for intent in run.intents:
            confirmed = runs.get(int(intent.stem), [])
            if confirmed:
                recovered += _journal(intent, confirmed)
            intent.unlink()
    fsync_directory(run.directory)
    return recovered


def _journal(intent: Path, runs: list[tuple[int, int, bool]]) -> int:
    """Write the journal file of `intent`'s records that `runs` show confirmed; how many."""
    table = pq.read_table(intent)
    mask = [False] * table.num_rows
    for first, count, confirmed in runs:
        if confirmed:
            mask[first : first + count] = [True] * count
    rows = table.filter(pa.array(mask[: table.num_rows], pa.bool_()))
    if rows.num_rows:
        path = intent.with_suffix(JOURNAL_SUFFIX)
        write_durably(path, lambda temporary: pq.write_table(rows, str(temporary), **PLAIN_PARQUET))
    return int(rows.num_rows)
