"""Each sync's state generation: which state its runs must find in the data dir.

Only the execution holding the sync's run slot (`syncs.current_execution_id`)
may record one. The check and the write are one transaction that starts by
rewriting the slot in place: PostgreSQL holds that row's lock, SQLite its
write lock, until the commit, so a slot given away meanwhile (by the reaper)
cannot slip between them, whichever machine the runs are on.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from syncline.store.tables import Sync, SyncState, utcnow


class SyncStateRepository:
    """The recorded state generations of syncs (runners see every organization's)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, sync_id: str) -> SyncState | None:
        """The sync's recorded state, or None when it has none (a new sync)."""
        return self.session.get(SyncState, sync_id)

    def record(
        self, sync_id: str, execution_id: str, *, generation: int, made_by: str, hash_version: int
    ) -> bool:
        """Record that the sync's state is `generation`, made by execution `made_by`.

        Only while `execution_id` holds the sync's run slot; False (nothing
        recorded) when it does not.
        """
        held = self.session.execute(
            update(Sync)
            .where(Sync.id == sync_id, Sync.current_execution_id == execution_id)
            .values(current_execution_id=execution_id)
            .execution_options(synchronize_session=False)
        )
        if held.rowcount != 1:  # type: ignore[attr-defined]
            return False
        state = self.session.get(SyncState, sync_id)
        if state is None:
            state = SyncState(sync_id=sync_id)
            self.session.add(state)
        state.generation = generation
        state.execution_id = made_by
        state.hash_version = hash_version
        state.updated_at = utcnow()
        return True
