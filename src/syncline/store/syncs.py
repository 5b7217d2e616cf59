"""Model syncs, always scoped to one organization, with a snapshot-stable listing.

Every change of a sync records its new `updated_at` in `sync_revisions`. A
listing that started at time T orders syncs by the `updated_at` each had at
T, so syncs changed while a client pages are neither skipped nor repeated.
Revisions older than `REVISION_RETENTION` are pruned, except each sync's
newest; page tokens older than that are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVarTuple

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from syncline.errors import NotFound
from syncline.store.tables import Execution, Sync, SyncModel, SyncRevision, SyncState, is_id, utcnow

REVISION_RETENTION = timedelta(hours=24)

_Columns = TypeVarTuple("_Columns")


@dataclass(frozen=True)
class ListPosition:
    """Where a listing stands: its snapshot time and the last row it returned."""

    snapshot: datetime
    updated_at: datetime | None = None
    sync_id: str | None = None


@dataclass(frozen=True)
class ListFilters:
    """The optional filters of `GET /api/syncs`."""

    active: bool | None = None
    mode: str | None = None
    target_connection_id: str | None = None


class SyncRepository:
    """The syncs of one organization. Another organization's do not exist here."""

    def __init__(self, session: Session, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def get(self, sync_id: str) -> Sync:
        """One sync. Raises `NotFound` when absent or another organization's."""
        sync = None
        if is_id(sync_id):
            sync = self.session.scalars(
                select(Sync).where(Sync.organization_id == self.organization_id, Sync.id == sync_id)
            ).first()
        if sync is None:
            raise NotFound(f"sync {sync_id} not found", metadata={"id": sync_id})
        return sync

    def exists(self, sync_id: str) -> bool:
        """Whether the organization has this sync."""
        if not is_id(sync_id):
            return False
        return (
            self.session.scalars(
                select(Sync.id).where(
                    Sync.organization_id == self.organization_id, Sync.id == sync_id
                )
            ).first()
            is not None
        )

    def all(self) -> list[Sync]:
        """Every sync of the organization."""
        return list(
            self.session.scalars(select(Sync).where(Sync.organization_id == self.organization_id))
        )

    def matching(self, filters: ListFilters) -> list[Sync]:
        """Every sync that passes `filters`, most recently changed first, then by id."""
        query = _filtered(select(Sync).where(Sync.organization_id == self.organization_id), filters)
        return list(self.session.scalars(query.order_by(Sync.updated_at.desc(), Sync.id)))

    def model_ids(self, sync_id: str) -> list[str]:
        """The models a sync reads."""
        return list(
            self.session.scalars(
                select(SyncModel.model_id)
                .where(SyncModel.sync_id == sync_id)
                .order_by(SyncModel.model_id)
            )
        )

    def save(self, sync: Sync, model_ids: Sequence[str]) -> Sync:
        """Insert or update a sync, its models and a new revision.

        `updated_at` always moves forward, even within one clock tick, so a
        sync's revisions are distinct and its listing position changes.
        """
        now = utcnow()
        previous = sync.updated_at
        sync.updated_at = max(now, previous + timedelta(microseconds=1)) if previous else now
        if sync.id is None or self.session.get(Sync, sync.id) is None:
            sync.organization_id = self.organization_id
            sync.created_at = sync.updated_at
            self.session.add(sync)
        self.session.flush()
        self.session.execute(delete(SyncModel).where(SyncModel.sync_id == sync.id))
        for model_id in dict.fromkeys(model_ids):
            self.session.add(SyncModel(sync_id=sync.id, model_id=model_id))
        self.session.add(SyncRevision(sync_id=sync.id, updated_at=sync.updated_at))
        self.session.execute(
            delete(SyncRevision).where(
                SyncRevision.sync_id == sync.id,
                SyncRevision.updated_at < now - REVISION_RETENTION,
                SyncRevision.updated_at < sync.updated_at,
            )
        )
        self.session.flush()
        return sync

    def delete(self, sync: Sync) -> list[str]:
        """Delete a sync with its model links, revisions, state record and executions;
        returns the ids of the executions deleted with it."""
        executions = list(
            self.session.scalars(select(Execution.id).where(Execution.sync_id == sync.id))
        )
        self.session.execute(delete(SyncModel).where(SyncModel.sync_id == sync.id))
        self.session.execute(delete(SyncRevision).where(SyncRevision.sync_id == sync.id))
        self.session.execute(delete(SyncState).where(SyncState.sync_id == sync.id))
        self.session.delete(sync)
        self.session.flush()
        return executions

    def page(
        self, position: ListPosition, filters: ListFilters, limit: int
    ) -> list[tuple[Sync, datetime]]:
        """Up to `limit` syncs after `position`, with the `updated_at` each had at the snapshot.

        Ordered by that time descending, then id. Syncs created after the
        snapshot are not part of it.
        """
        as_of = (
            select(SyncRevision.sync_id, func.max(SyncRevision.updated_at).label("as_of"))
            .where(SyncRevision.updated_at <= position.snapshot)
            .group_by(SyncRevision.sync_id)
            .subquery()
        )
        query = (
            select(Sync, as_of.c.as_of)
            .join(as_of, as_of.c.sync_id == Sync.id)
            .where(Sync.organization_id == self.organization_id)
        )
        query = _filtered(query, filters)
        if position.updated_at is not None and position.sync_id is not None:
            query = query.where(
                or_(
                    as_of.c.as_of < position.updated_at,
                    and_(as_of.c.as_of == position.updated_at, Sync.id > position.sync_id),
                )
            )
        query = query.order_by(as_of.c.as_of.desc(), Sync.id).limit(limit)
        return [(row[0], _aware(row[1])) for row in self.session.execute(query)]


def _filtered(query: Select[*_Columns], filters: ListFilters) -> Select[*_Columns]:
    """`query` restricted to the syncs that pass `filters`."""
    if filters.active is not None:
        query = query.where(Sync.active == filters.active)
    if filters.mode is not None:
        query = query.where(Sync.mode == filters.mode)
    if filters.target_connection_id is not None:
        query = query.where(Sync.target_connection_id == filters.target_connection_id)
    return query


def _aware(value: datetime) -> datetime:
    """Aggregates may bypass the column type, so SQLite can hand back naive UTC or text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
