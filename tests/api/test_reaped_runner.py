"""A runner the reaper took for dead, but still alive, leaves the reaper's verdict alone."""

from __future__ import annotations

import psycopg

from syncline.services.runs import Runtime
from syncline.store.executions import ExecutionRepository
from syncline.store.tables import utcnow
from tests.api.execution_fixtures import PG_DSN, Runner, run_in_thread, wait_for_advisory_waiter

LOCK = 7_312_605


def test_a_run_ended_by_the_reaper_keeps_that_end_and_stops(runner: Runner, schema: str) -> None:
    blocked = runner.model(
        query=f'SELECT p.* FROM "{schema}".people p, pg_advisory_lock_shared({LOCK}) l'
    )
    sync_id = runner.sync(model_id=blocked)
    execution_id = runner.holding(sync_id, "queued")
    state = runner.org.server.app.state.syncline
    with psycopg.connect(PG_DSN, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        run, crashed = run_in_thread(Runtime(state.store, state.box, state.settings), execution_id)
        wait_for_advisory_waiter(LOCK)
        # What the reaper does to a run whose heartbeat it found too old.
        with state.store.session() as session:
            execution = ExecutionRepository(session, None).get(execution_id)
            execution.status = "interrupted"
            execution.completed_at = utcnow()
            execution.errors = ["no heartbeat for over 45 s from the process running it"]
            ExecutionRepository(session, None).release_slot(sync_id, execution_id)
        holder.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    run.join(timeout=120)
    assert not run.is_alive()
    assert crashed == []
    ended = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}").json()
    assert ended["data"]["status"] == "interrupted"
    assert ended["data"]["errors"] == ["no heartbeat for over 45 s from the process running it"]
    # The sync is free for the next run, which completes.
    assert runner.run(sync_id)["status"] == "completed"
