"""The scheduler: turns due syncs into executions.

Every `interval` seconds, the process that holds the `scheduler` lease looks
at every active sync of every organization and starts those whose schedule
has a slot due (`scheduler.schedule.due_slot`), or whose upstream syncs
finished (`runafter`). A missed period runs once, not once per missed slot,
because each sync remembers the latest slot acted on (`scheduled_through`).
A sync that is still running is not started again; its slot is consumed.
Concurrency caps (overall and per target connection) leave a due sync for
a later tick.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncline.execution.base import Executor
from syncline.scheduler.schedule import due_slot, next_run, runs_after, success_only
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.executions import ACTIVE_STATUSES, ExecutionRepository
from syncline.store.leases import release_lease, take_lease
from syncline.store.tables import Execution, Sync, utcnow

log = logging.getLogger("syncline.scheduler")

LEASE = "scheduler"


@dataclass(frozen=True)
class Limits:
    """Concurrency caps; 0 means no cap."""

    total: int = 0
    per_connection: int = 0


class Scheduler:
    """Starts due executions; one process at a time acts (a lease in the store)."""

    def __init__(
        self,
        store: Store,
        executor: Executor,
        *,
        interval: float = 5.0,
        limits: Limits | None = None,
        continuous_interval: timedelta = timedelta(seconds=60),
    ) -> None:
        self.store = store
        self.executor = executor
        self.interval = interval
        self.limits = limits or Limits()
        self.continuous_interval = continuous_interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tick in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._loop, name="syncline-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        with self.store.session() as session:
            release_lease(session, LEASE, self.holder)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(self.interval)

    def tick(self, now: datetime | None = None) -> list[str]:
        """One round: the ids of the executions it started (none unless it holds the lease)."""
        now = now or utcnow()
        ttl = timedelta(seconds=max(self.interval * 3, 15))
        started: list[str] = []
        with self.store.session() as session:
            if not take_lease(session, LEASE, self.holder, now=now, ttl=ttl):
                return []
        with self.store.session() as session:
            running = _running_by_connection(session)
            active = list(session.scalars(select(Sync).where(Sync.active.is_(True))))
            for sync in active:
                try:
                    slot = self._due(session, sync, now)
                except ValueError as exc:
                    # A schedule stored before validation refused it (a cron that never
                    # fires) must not stop the other organizations' syncs.
                    log.warning("sync %s has a schedule that cannot run: %s", sync.id, exc)
                    continue
                if slot is None:
                    continue
                if sync.current_execution_id is not None:
                    # Still running (or queued): this slot is consumed without a run.
                    # Checked here only to spare an insert; `take_slot` is the guard.
                    sync.scheduled_through = slot
                    continue
                if not self._room(running, sync.target_connection_id):
                    continue  # the slot stays due for a later tick
                sync.scheduled_through = slot
                execution = Execution(
                    organization_id=sync.organization_id,
                    sync_id=sync.id,
                    status="queued",
                    type="scheduled",
                    options={},
                    counts={},
                    errors=[],
                )
                if ExecutionRepository(session, None).take_slot(sync, execution):
                    running[sync.target_connection_id] += 1
                    started.append(execution.id)
        for execution_id in started:
            self.executor.submit(execution_id)
        if started:
            log.info(
                "scheduler %s (lease holder) started %d execution(s): %s",
                self.holder,
                len(started),
                " ".join(started),
            )
        return started

    def _due(self, session: Session, sync: Sync, now: datetime) -> datetime | None:
        schedule = sync.config.get("schedule") or {}
        upstream = runs_after(schedule)
        if upstream:
            return _upstream_finished(session, upstream, sync, success_only(schedule))
        return due_slot(
            schedule,
            last_slot=sync.scheduled_through,
            created=sync.created_at,
            now=now,
            continuous_interval=self.continuous_interval,
        )

    def _room(self, running: Counter[str], connection_id: str) -> bool:
        total, per = self.limits.total, self.limits.per_connection
        if total and sum(running.values()) >= total:
            return False
        return not (per and running[connection_id] >= per)


def _running_by_connection(session: Session) -> Counter[str]:
    rows = session.execute(
        select(Sync.target_connection_id)
        .join(Execution, Execution.sync_id == Sync.id)
        .where(Execution.status.in_(ACTIVE_STATUSES))
    )
    return Counter(row[0] for row in rows)


def _upstream_finished(
    session: Session, upstream: list[str], sync: Sync, success: bool
) -> datetime | None:
    """The latest completion of an upstream sync since this one last acted, if any."""
    since = sync.scheduled_through or sync.created_at
    statuses = ("completed",) if success else ("completed", "failed", "canceled", "interrupted")
    return session.scalars(
        select(Execution.completed_at)
        .join(Sync, Sync.id == Execution.sync_id)
        .where(
            Execution.sync_id.in_(upstream),
            Sync.organization_id == sync.organization_id,
            Execution.status.in_(statuses),
            Execution.completed_at > since,
        )
        .order_by(Execution.completed_at.desc())
    ).first()


def next_run_of(sync: Sync, settings: Settings, after: datetime) -> datetime | None:
    """When an active sync's schedule fires next after `after`; None for an inactive
    sync, a schedule that is not time-based (manual, run-after) or one that never fires."""
    if not sync.active:
        return None
    try:
        return next_run(
            sync.config.get("schedule") or {},
            after=after,
            continuous_interval=timedelta(seconds=settings.continuous_interval),
        )
    except ValueError:
        # A schedule stored before validation refused it (a cron that never fires).
        return None
