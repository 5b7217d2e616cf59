"""A sync's state generation between the metadata store and the engine.

The runner tells the engine which state the store recorded (`state_check`),
and the engine reports back every state a run leaves (`record_state`). Only
the execution holding the sync's run slot may do either: the slot, in the
store, decides which run uses a sync's state on any machine, where a file
lock would not hold on a network filesystem (`engine.generation` and
`store.sync_states` say more).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from syncline.engine.spec import StateCheck, StateMark
from syncline.errors import SynclineError
from syncline.store.db import Store
from syncline.store.sync_states import SyncStateRepository
from syncline.store.tables import Execution, Sync

log = logging.getLogger("syncline.runs")

REMEDY = (
    "Every process that runs syncs (each `syncline serve` and `syncline worker`) must see "
    "the same state: SYNCLINE_DATA_DIR must name a directory they all share, on a shared "
    "filesystem. To start this sync's state afresh instead, run a resync: it sends every "
    "record again."
)
"""How to fix a run that does not find its sync's state."""

_NOT_HOLDING = (
    "execution {execution_id} does not hold its sync's run slot (it was ended, another "
    "execution holds the slot, or the sync was deleted), so it may not use the sync's state"
)


def state_check(session: Session, sync_id: str, execution_id: str) -> StateCheck:
    """What the store knows of the sync's state, for the engine to check its directory.

    Raises `SynclineError` when the execution does not hold the sync's run
    slot: only the execution holding it may touch the sync's state.
    """
    sync = session.get(Sync, sync_id)
    if sync is None or sync.current_execution_id != execution_id:
        raise SynclineError(_NOT_HOLDING.format(execution_id=execution_id))
    state = SyncStateRepository(session).find(sync_id)
    if state is None:
        return StateCheck(remedy=REMEDY)
    if state.generation is None or state.execution_id is None:
        return StateCheck(unrecorded=True, remedy=REMEDY)
    stored = StateMark(state.generation, state.execution_id, state.hash_version or 0)
    return StateCheck(stored=stored, remedy=REMEDY)


def record_state(store: Store, execution_id: str, mark: StateMark) -> None:
    """Record `mark` as the state of the execution's sync.

    Raises `SynclineError` when the execution does not hold its sync's run
    slot (it was reaped, or its sync deleted) or the store cannot be written:
    the run then stops.
    """
    try:
        with store.session() as session:
            execution = session.get(Execution, execution_id)
            recorded = execution is not None and SyncStateRepository(session).record(
                execution.sync_id,
                execution_id,
                generation=mark.generation,
                made_by=mark.execution_id,
                hash_version=mark.hash_version,
            )
    except SQLAlchemyError as error:
        log.exception("could not record the state of execution %s", execution_id)
        raise SynclineError(
            f"the metadata store could not record this sync's state generation "
            f"{mark.generation}: {type(error).__name__}"
        ) from None
    if not recorded:
        raise SynclineError(_NOT_HOLDING.format(execution_id=execution_id))
