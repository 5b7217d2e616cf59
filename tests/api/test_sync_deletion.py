"""Deleting a sync takes its state and record logs with it, and its download links stop."""

from __future__ import annotations

from pathlib import Path

import psycopg

from syncline.services.runs import Runtime
from tests.api.execution_fixtures import PG_DSN, Runner, run_in_thread, wait_for_advisory_waiter

LOCK = 7_312_604


def _files(runner: Runner, sync_id: str, execution_id: str) -> tuple[Path, Path]:
    data_dir = runner.org.server.settings.data_dir
    return data_dir / "state" / sync_id, data_dir / "executions" / execution_id


def _run_with_link(runner: Runner) -> tuple[str, str, str]:
    """A sync run once: its id, its execution's id and a signed link to its errors."""
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    assert execution["status"] == "completed", execution
    base = f"/api/syncs/{sync_id}/executions/{execution['id']}"
    link = runner.org.client.get(f"{base}/errors").json()["data"]["urls"][0]
    assert runner.org.server.client.get(link).status_code == 200
    state, logs = _files(runner, sync_id, execution["id"])
    assert state.is_dir()
    assert logs.is_dir()
    return sync_id, execution["id"], link


def test_deleting_a_sync_removes_its_state_and_record_logs(runner: Runner) -> None:
    sync_id, execution_id, link = _run_with_link(runner)
    assert runner.org.client.delete(f"/api/syncs/{sync_id}").status_code == 200
    state, logs = _files(runner, sync_id, execution_id)
    assert not state.exists()
    assert not logs.exists()
    assert runner.org.server.client.get(link).status_code == 404
    base = f"/api/syncs/{sync_id}/executions/{execution_id}"
    assert runner.org.client.get(f"{base}/errors").status_code == 404


def test_deleting_a_connection_with_its_syncs_removes_their_files(runner: Runner) -> None:
    sync_id, execution_id, link = _run_with_link(runner)
    deleted = runner.org.client.delete(f"/api/connections/{runner.connection_id}?force=true")
    assert deleted.status_code == 200, deleted.text
    state, logs = _files(runner, sync_id, execution_id)
    assert not state.exists()
    assert not logs.exists()
    assert runner.org.server.client.get(link).status_code == 404


def test_a_run_of_a_sync_deleted_meanwhile_leaves_nothing_behind(
    runner: Runner, schema: str
) -> None:
    # The source query waits for an advisory lock this test holds, so the run is
    # surely in flight when the sync is deleted.
    blocked = runner.model(
        query=f'SELECT p.* FROM "{schema}".people p, pg_advisory_lock_shared({LOCK}) l'
    )
    sync_id = runner.sync(model_id=blocked)
    execution_id = runner.holding(sync_id, "queued")
    state = runner.org.server.app.state.syncline
    runtime = Runtime(state.store, state.box, state.settings)
    with psycopg.connect(PG_DSN, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        run, crashed = run_in_thread(runtime, execution_id)
        wait_for_advisory_waiter(LOCK)
        assert runner.org.client.delete(f"/api/syncs/{sync_id}").status_code == 200
        holder.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    run.join(timeout=120)
    assert not run.is_alive()
    assert crashed == []
    state_dir, logs = _files(runner, sync_id, execution_id)
    assert not state_dir.exists()
    assert not logs.exists()
