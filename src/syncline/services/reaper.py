"""Liveness of executions: runners beat, the reaper ends what no one runs any more.

Whoever runs an execution records itself as its owner when it claims it
(`services.owners.Owner`) and refreshes its `heartbeat_at` (`supervised_run`
beats from a thread every few seconds, on top of the engine's own beats
between batches). An execution is abandoned only when its owner is provably
gone: its heartbeat is stale (a killed worker, a lost machine), or its owner
ran on this machine and that process no longer exists. The reaper, run by
the one process that holds the `reaper` lease, and every `serve` once at
start, mark such executions `interrupted` (or `canceled` when a cancel was
already requested), give their sync's run slot back and, with
`retry_interrupted`, start a fresh execution of the sync (type `retry`).
Executions of live processes are never touched, whoever runs them.

It also hands again to the executor every execution left `queued` for
`requeue_after` seconds without starting: a broker can lose a message (a
Redis restart without persistence, a purged queue), and without a second
delivery that execution would hold its sync's run slot forever.

`supervised_run` also guarantees that an execution starts at most once: a
broker may deliver its id twice (acks-late redelivery after a worker died,
or a Redis visibility timeout), and only the first delivery, which stamps
`started_at` with a conditional UPDATE, runs it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update

from syncline.execution.base import Executor
from syncline.services.owners import Owner
from syncline.services.runs import Runtime, run_execution
from syncline.store.executions import ACTIVE_STATUSES, ExecutionRepository
from syncline.store.leases import release_lease, take_lease
from syncline.store.tables import Execution, Sync, utcnow

log = logging.getLogger("syncline.reaper")

LEASE = "reaper"


def beat_interval(timeout: float) -> float:
    """How often a runner beats (and the reaper looks), for a heartbeat timeout in seconds."""
    return max(0.5, min(timeout / 3, 10.0))


def reap_stale(
    runtime: Runtime,
    now: datetime | None = None,
    timeout: timedelta | None = None,
    *,
    executor: Executor | None = None,
) -> list[str]:
    """End every claimed execution whose owner is provably gone; their ids.

    A claimed execution (started, not ended) is abandoned when its
    `heartbeat_at` (or `started_at` when it never beat) is older than
    `now - timeout` (default: `settings.heartbeat_timeout`), or when its
    owner ran on this machine and that process no longer exists
    (`Owner.is_gone`). Nothing else is touched: a live owner's execution,
    wherever it runs, and a queued execution that no process claimed yet
    (`redeliver_queued` hands those over again).

    An abandoned execution becomes `interrupted` (`canceled` if a cancel was
    requested), `completed_at` is its last heartbeat (when its runner was
    last known to work on it), `errors` says why, and its sync's run slot is
    freed. Each is ended by a conditional UPDATE, so a run that ends or
    beats meanwhile, or another process reaping it too, wins over this one.
    When `settings.retry_interrupted` is set and an `executor` is given,
    each interrupted (not canceled) execution of a still-active sync is
    followed by a new `retry` execution with the same options, submitted
    after the store has committed.
    """
    now = now or utcnow()
    timeout = timeout or timedelta(seconds=runtime.settings.heartbeat_timeout)
    cutoff = now - timeout
    last_beat = func.coalesce(Execution.heartbeat_at, Execution.started_at)
    reaped: list[str] = []
    retries: list[str] = []
    with runtime.store.session() as session:
        repo = ExecutionRepository(session, None)
        claimed = session.scalars(
            select(Execution).where(
                Execution.status.in_(ACTIVE_STATUSES), Execution.started_at.is_not(None)
            )
        ).all()
        for execution in claimed:
            reason = _abandoned(execution, cutoff, timeout)
            if reason is None:
                continue
            condition = [
                Execution.id == execution.id,
                Execution.status.in_(ACTIVE_STATUSES),
                Execution.started_at.is_not(None),
            ]
            if reason.stale:
                condition.append(last_beat < cutoff)
            ended = session.execute(
                update(Execution)
                .where(*condition)
                .values(
                    status=case((Execution.cancel_requested, "canceled"), else_="interrupted"),
                    completed_at=last_beat,
                    errors=[*execution.errors, reason.message],
                )
                .execution_options(synchronize_session=False)
            )
            if not ended.rowcount:  # type: ignore[attr-defined]
                continue
            session.refresh(execution)
            repo.release_slot(execution.sync_id, execution.id)
            reaped.append(execution.id)
            log.warning("execution %s %s: %s", execution.id, execution.status, reason.message)
            if execution.status != "interrupted" or executor is None:
                continue
            if not runtime.settings.retry_interrupted:
                continue
            sync = session.get(Sync, execution.sync_id)
            if sync is None or not sync.active:
                continue
            retry = Execution(
                organization_id=execution.organization_id,
                sync_id=execution.sync_id,
                status="queued",
                type="retry",
                options=dict(execution.options),
                counts={},
                errors=[],
            )
            if repo.take_slot(sync, retry):
                retries.append(retry.id)
    if executor is not None:
        for execution_id in retries:
            executor.submit(execution_id)
    return reaped


@dataclass(frozen=True)
class _Reason:
    """Why an execution's owner is provably gone; `stale`: by its heartbeat."""

    message: str
    stale: bool


def _abandoned(execution: Execution, cutoff: datetime, timeout: timedelta) -> _Reason | None:
    owner = Owner.from_record(execution.owner)
    last = execution.heartbeat_at or execution.started_at
    shown = last.isoformat(timespec="seconds") if last is not None else "never"
    runner = f"the process running it ({owner.describe()})" if owner else "the process running it"
    if owner is not None and owner.is_gone():
        return _Reason(f"{runner} stopped; its last heartbeat was at {shown}", stale=False)
    if last is not None and last < cutoff:
        return _Reason(
            f"no heartbeat for over {int(timeout.total_seconds())} s from {runner}, "
            f"which stopped or lost the metadata store; its last heartbeat was at {shown}",
            stale=True,
        )
    return None


def queue_here(runtime: Runtime, execution_id: str) -> None:
    """Record this process as the owner of a queued execution: its queue is this
    process's memory (the in-process pool), gone if the process dies. Started or
    ended executions are left as they are."""
    with runtime.store.session() as session:
        session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.started_at.is_(None))
            .values(owner=Owner.this_process().record())
            .execution_options(synchronize_session=False)
        )


def hand_over_orphans(runtime: Runtime, executor: Executor) -> list[str]:
    """Submit at once every queued execution whose queue was a process now provably
    gone (`queue_here`, `Owner.is_gone`); their ids.

    Without this, a server killed right after accepting runs leaves them
    queued, holding their syncs' run slots, until `redeliver_queued` hands
    them over `requeue_after` seconds later. Queues of live processes and of
    a broker are left alone. A duplicate delivery is harmless: only the first
    to stamp `started_at` runs it.
    """
    with runtime.store.session() as session:
        waiting = session.scalars(
            select(Execution).where(
                Execution.status == "queued",
                Execution.started_at.is_(None),
                Execution.owner.is_not(None),
            )
        ).all()
        orphans = [
            execution.id
            for execution in waiting
            if (owner := Owner.from_record(execution.owner)) is not None and owner.is_gone()
        ]
    for execution_id in orphans:
        log.warning(
            "execution %s was queued by a process that stopped; handing it over", execution_id
        )
        executor.submit(execution_id)
    return orphans


def redeliver_queued(
    runtime: Runtime, executor: Executor, now: datetime | None = None
) -> list[str]:
    """Submit again every execution queued for `settings.requeue_after` seconds; their ids.

    An execution qualifies while its status is `queued`, it never started,
    and it was created (or last redelivered) before `now - requeue_after`.
    Its `heartbeat_at` records the redelivery, so it is handed over again
    at most once per `requeue_after`. Duplicates are harmless: only the
    first delivery to stamp `started_at` runs it (`supervised_run`).
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=runtime.settings.requeue_after)
    with runtime.store.session() as session:
        waiting = session.scalars(
            select(Execution).where(
                Execution.status == "queued",
                Execution.started_at.is_(None),
                func.coalesce(Execution.heartbeat_at, Execution.created_at) < cutoff,
            )
        ).all()
        for execution in waiting:
            execution.heartbeat_at = now
        redelivered = [execution.id for execution in waiting]
    for execution_id in redelivered:
        log.warning(
            "execution %s waited too long in the queue; handing it over again", execution_id
        )
        executor.submit(execution_id)
    return redelivered


class Reaper:
    """Reaps stale executions every `interval` seconds while it holds the `reaper` lease."""

    def __init__(self, runtime: Runtime, executor: Executor, *, interval: float) -> None:
        self.runtime = runtime
        self.executor = executor
        self.interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Reap in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._loop, name="syncline-reaper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reaping and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        with self.runtime.store.session() as session:
            release_lease(session, LEASE, self.holder)

    def tick(self, now: datetime | None = None) -> list[str]:
        """One round: the ids it reaped (none unless it holds the lease)."""
        now = now or utcnow()
        ttl = timedelta(seconds=max(self.interval * 3, 15))
        with self.runtime.store.session() as session:
            if not take_lease(session, LEASE, self.holder, now=now, ttl=ttl):
                return []
        reaped = reap_stale(self.runtime, now, executor=self.executor)
        hand_over_orphans(self.runtime, self.executor)
        redeliver_queued(self.runtime, self.executor, now)
        return reaped

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("reaper tick failed")
            self._stop.wait(self.interval)


@dataclass
class _Pulse:
    """The heartbeat of one running execution."""

    runtime: Runtime
    execution_id: str
    every: float
    lost: threading.Event
    done: threading.Event

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                if not self.beat():
                    self.lost.set()
                    return
            except Exception:
                log.exception("heartbeat of execution %s failed", self.execution_id)

    def beat(self) -> bool:
        """Refresh `heartbeat_at`; False once the execution has ended (or is gone)."""
        with self.runtime.store.session() as session:
            result = session.execute(
                update(Execution)
                .where(
                    Execution.id == self.execution_id,
                    Execution.status.in_(ACTIVE_STATUSES),
                )
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def supervised_run(runtime: Runtime, execution_id: str) -> None:
    """Run an execution at most once, beating its heart from a thread. Never raises.

    Stamps `started_at` and this process as the owner with a conditional
    UPDATE (only while the execution has not started and has not ended); a
    delivery that loses that race, or comes after the execution started
    elsewhere, returns without running.
    The run then goes through `run_execution`. If the reaper ends the
    execution meanwhile (the heartbeat could not reach the store in time),
    the run stops at its next batch boundary instead of racing a retry.
    """
    try:
        if not _take_start(runtime, execution_id):
            log.info("execution %s already started or ended; not running it again", execution_id)
            return
    except Exception:
        log.exception("could not start execution %s", execution_id)
        return
    lost, done = threading.Event(), threading.Event()
    stopping = runtime.stopping
    supervised = replace(runtime, stopping=lambda: lost.is_set() or stopping())
    pulse = _Pulse(
        runtime, execution_id, beat_interval(runtime.settings.heartbeat_timeout), lost, done
    )
    thread = threading.Thread(target=pulse.run, name=f"syncline-beat-{execution_id[:8]}")
    thread.daemon = True
    thread.start()
    try:
        run_execution(supervised, execution_id)
    finally:
        done.set()
        thread.join(timeout=pulse.every + 5)


def _take_start(runtime: Runtime, execution_id: str) -> bool:
    """Stamp the start of an execution that has not started; False when it had.

    A started execution is `running` from that moment (`canceling` stays, for
    `run_execution` to end it as canceled): never `queued` with a start time,
    which neither the reaper nor the redelivery would ever end if the
    process died before `run_execution` took it.
    """
    now = utcnow()
    with runtime.store.session() as session:
        result = session.execute(
            update(Execution)
            .where(
                Execution.id == execution_id,
                Execution.started_at.is_(None),
                Execution.status.in_(ACTIVE_STATUSES),
            )
            .values(
                started_at=now,
                heartbeat_at=now,
                owner=Owner.this_process().record(),
                status=case((Execution.status == "canceling", "canceling"), else_="running"),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
