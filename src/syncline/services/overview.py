"""Every sync of an organization at a glance: status, last run, next run, target.

One query serves a page: each sync's latest execution is found through the
`(sync_id, created_at)` index by a correlated subquery, so the page costs
the same with ten or a hundred thousand executions. Failing syncs (whose
latest run failed or was interrupted) come first, then running ones, then
the rest by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from syncline.services.auth import Principal
from syncline.services.scheduling import next_run_of
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.executions import ACTIVE_STATUSES
from syncline.store.tables import Connection, Execution, Sync, utcnow

PER_PAGE = 50
FAILING_STATUSES = ("failed", "interrupted")


class Show(StrEnum):
    """Which syncs the overview lists."""

    ALL = "all"
    FAILING = "failing"
    RUNNING = "running"
    ACTIVE = "active"
    PAUSED = "paused"


@dataclass(frozen=True)
class SyncLine:
    """One sync on the overview."""

    id: str
    name: str
    active: bool
    mode: str
    target_connection: str
    target_object: str | None
    last: Execution | None
    running: bool
    next_run: datetime | None

    @property
    def failing(self) -> bool:
        return self.last is not None and self.last.status in FAILING_STATUSES

    @property
    def state(self) -> str:
        """`running`, `failing`, `healthy`, `never run` or `paused`, as people say it."""
        if self.running:
            return "running"
        if self.failing:
            return "failing"
        if not self.active:
            return "paused"
        return "healthy" if self.last is not None else "never run"


@dataclass(frozen=True)
class Overview:
    """One page of the overview and what the filters left."""

    lines: list[SyncLine]
    total: int
    page: int
    pages: int


def _latest(sync_id: Any) -> Any:
    """The id of a sync's newest execution (a scalar subquery on the listing index)."""
    return (
        select(Execution.id)
        .where(Execution.sync_id == sync_id)
        .order_by(Execution.created_at.desc(), Execution.id.desc())
        .limit(1)
        .correlate(Sync)
        .scalar_subquery()
    )


def sync_overview(
    store: Store,
    settings: Settings,
    principal: Principal,
    *,
    search: str = "",
    show: Show = Show.ALL,
    page: int = 1,
) -> Overview:
    """A page (`PER_PAGE`) of the organization's syncs, filtered by name and `show`."""
    last = aliased(Execution)
    query: Select[Sync, str, Execution] = (
        select(Sync, Connection.name, last)
        .join(Connection, Connection.id == Sync.target_connection_id)
        .outerjoin(last, last.id == _latest(Sync.id))
        .where(Sync.organization_id == principal.organization_id)
    )
    running = and_(last.id.is_not(None), last.status.in_(ACTIVE_STATUSES))
    failing = and_(last.id.is_not(None), last.status.in_(FAILING_STATUSES))
    if search.strip():
        pattern = "%" + _like_escaped(search.strip().lower()) + "%"
        query = query.where(
            or_(
                func.lower(Sync.name).like(pattern, escape="\\"),
                func.lower(Connection.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Sync.target_object, "")).like(pattern, escape="\\"),
            )
        )
    if show is Show.FAILING:
        query = query.where(failing)
    elif show is Show.RUNNING:
        query = query.where(running)
    elif show is Show.ACTIVE:
        query = query.where(Sync.active.is_(True))
    elif show is Show.PAUSED:
        query = query.where(Sync.active.is_(False))
    order = case((failing, 0), (running, 1), else_=2)
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(1, page), pages)
        rows = session.execute(
            query.order_by(order, func.lower(Sync.name), Sync.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        ).all()
        now = utcnow()
        lines = [
            SyncLine(
                id=sync.id,
                name=sync.name,
                active=sync.active,
                mode=sync.mode,
                target_connection=connection_name,
                target_object=sync.target_object,
                last=execution,
                running=execution is not None and execution.status in ACTIVE_STATUSES,
                next_run=next_run_of(sync, settings, now),
            )
            for sync, connection_name, execution in rows
        ]
        session.expunge_all()
    return Overview(lines, total, page, pages)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
