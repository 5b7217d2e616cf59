"""Executions and their console lines.

A sync has one run slot (`syncs.current_execution_id`). Starting takes it
with a conditional UPDATE, so two concurrent starts cannot both win on any
backend; the runner gives it back when the execution ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from syncline.errors import NotFound
from syncline.store.tables import Execution, ExecutionLog, Sync, is_id, utcnow

ACTIVE_STATUSES = (
    "created",
    "scheduled",
    "queued",
    "waiting",
    "running",
    "processing",
    "canceling",
)
TERMINAL_STATUSES = ("completed", "canceled", "failed", "interrupted")


class ExecutionRepository:
    """The executions of one organization (or of all, for runners: `organization_id=None`)."""

    def __init__(self, session: Session, organization_id: str | None) -> None:
        self.session = session
        self.organization_id = organization_id

    def _scoped(self, query: Any) -> Any:
        if self.organization_id is None:
            return query
        return query.where(Execution.organization_id == self.organization_id)

    def get(self, execution_id: str, sync_id: str | None = None) -> Execution:
        """One execution (of one sync when given). Raises `NotFound`."""
        if not is_id(execution_id) or (sync_id is not None and not is_id(sync_id)):
            raise NotFound(f"execution {execution_id} not found", metadata={"id": execution_id})
        query = self._scoped(select(Execution).where(Execution.id == execution_id))
        if sync_id is not None:
            query = query.where(Execution.sync_id == sync_id)
        found: Execution | None = self.session.scalars(query).first()
        if found is None:
            raise NotFound(f"execution {execution_id} not found", metadata={"id": execution_id})
        return found

    def find(self, execution_id: str) -> Execution | None:
        """One execution, or None."""
        if not is_id(execution_id):
            return None
        found: Execution | None = self.session.scalars(
            self._scoped(select(Execution).where(Execution.id == execution_id))
        ).first()
        return found

    def take_slot(self, sync: Sync, execution: Execution) -> bool:
        """Insert `execution` if the sync's run slot is free; False when another holds it."""
        self.session.add(execution)
        self.session.flush()
        taken = self.session.execute(
            update(Sync)
            .where(Sync.id == sync.id, Sync.current_execution_id.is_(None))
            .values(current_execution_id=execution.id)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            self.session.delete(execution)
            self.session.flush()
            return False
        return True

    def release_slot(self, sync_id: str, execution_id: str) -> None:
        """Give the sync's run slot back, if this execution holds it."""
        self.session.execute(
            update(Sync)
            .where(Sync.id == sync_id, Sync.current_execution_id == execution_id)
            .values(current_execution_id=None)
            .execution_options(synchronize_session=False)
        )

    def current(self, sync_id: str) -> Execution | None:
        """The sync's execution that has not ended, if any."""
        # LIMIT 1 in the SQL: `first()` alone would load every matching row.
        found: Execution | None = self.session.scalars(
            self._scoped(
                select(Execution)
                .where(Execution.sync_id == sync_id, Execution.status.in_(ACTIVE_STATUSES))
                .order_by(Execution.created_at.desc())
            ).limit(1)
        ).first()
        return found

    def last_ended(self, sync_id: str) -> Execution | None:
        """The sync's most recent execution that has ended.

        One row is read, through the `(sync_id, created_at)` index: without the
        LIMIT, `first()` would load (and decode) every ended run of the sync.
        """
        found: Execution | None = self.session.scalars(
            self._scoped(
                select(Execution)
                .where(Execution.sync_id == sync_id, Execution.status.in_(TERMINAL_STATUSES))
                .order_by(Execution.created_at.desc(), Execution.id.desc())
            ).limit(1)
        ).first()
        return found

    def page(
        self,
        sync_id: str,
        *,
        ascending: bool,
        only_completed: bool,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Execution]:
        """Executions of a sync, newest first (or oldest first), after a cursor."""
        query = self._scoped(select(Execution).where(Execution.sync_id == sync_id))
        if only_completed:
            query = query.where(Execution.status.in_(TERMINAL_STATUSES))
        order = (Execution.created_at, Execution.id)
        if after is not None:
            created, last_id = after
            if ascending:
                query = query.where(
                    or_(order[0] > created, and_(order[0] == created, order[1] > last_id))
                )
            else:
                query = query.where(
                    or_(order[0] < created, and_(order[0] == created, order[1] < last_id))
                )
        if ascending:
            query = query.order_by(order[0], order[1])
        else:
            query = query.order_by(order[0].desc(), order[1].desc())
        return list(self.session.scalars(query.limit(limit)))

    def add_log(
        self, execution_id: str, level: str, message: str, payload: dict[str, Any] | None = None
    ) -> None:
        """Append a console line."""
        self.session.add(
            ExecutionLog(
                execution_id=execution_id,
                level=level,
                message=message,
                payload=payload or {},
                timestamp=utcnow(),
            )
        )

    def logs(self, execution_id: str, *, after: int | None, limit: int) -> list[ExecutionLog]:
        """Console lines in order, after the line with id `after`."""
        query = select(ExecutionLog).where(ExecutionLog.execution_id == execution_id)
        if after is not None:
            query = query.where(ExecutionLog.id > after)
        return list(self.session.scalars(query.order_by(ExecutionLog.id).limit(limit)))
