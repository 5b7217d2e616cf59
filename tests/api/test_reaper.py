"""The reaper: an execution whose runner stopped beating ends `interrupted`."""

from __future__ import annotations

from datetime import timedelta

from syncline.services.reaper import reap_stale, redeliver_queued
from syncline.services.runs import Runtime
from syncline.store.tables import utcnow
from tests.api.execution_fixtures import Runner, copy_rows, source_rows


def _dead_execution(runner: Runner, sync_id: str) -> str:
    """An execution that claims to run but whose runner died two hours ago."""
    long_ago = utcnow() - timedelta(hours=2)
    return runner.holding(sync_id, "running", started_at=long_ago, heartbeat_at=long_ago)


def test_a_dead_run_is_interrupted_and_frees_its_sync(runner: Runner) -> None:
    sync_id = runner.sync()
    dead = _dead_execution(runner, sync_id)
    state = runner.org.server.app.state.syncline
    assert runner.start(sync_id).status_code == 409
    reaped = reap_stale(Runtime(state.store, state.box, state.settings))
    assert dead in reaped
    execution = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{dead}").json()["data"]
    assert execution["status"] == "interrupted"
    assert runner.run(sync_id)["status"] == "completed"


def test_retry_interrupted_starts_a_new_run_that_repairs(runner: Runner, schema: str) -> None:
    sync_id = runner.sync()
    dead = _dead_execution(runner, sync_id)
    state = runner.org.server.app.state.syncline
    settings = state.settings.model_copy(update={"retry_interrupted": True})
    reap_stale(Runtime(state.store, state.box, settings), executor=state.executor)
    executions = runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()["data"]
    retry = next(e for e in executions if e["id"] != dead)
    assert retry["type"] == "retry"
    assert runner.wait(sync_id, retry["id"])["status"] == "completed"
    assert copy_rows(schema) == [row for row in source_rows(schema) if row[0] != 13]


def test_a_queued_execution_whose_message_was_lost_is_delivered_again(runner: Runner) -> None:
    sync_id = runner.sync()
    state = runner.org.server.app.state.syncline
    store = state.store
    # Never submitted: as if the broker dropped its message.
    lost_id = runner.holding(sync_id, "queued", created_at=utcnow() - timedelta(minutes=10))
    runtime = Runtime(store, state.box, state.settings)
    now = utcnow()

    assert lost_id in redeliver_queued(runtime, state.executor, now)

    assert runner.wait(sync_id, lost_id)["status"] == "completed"
    assert lost_id not in redeliver_queued(runtime, _Recording(), now + timedelta(hours=1))


def test_a_recently_queued_or_redelivered_execution_is_left_alone(runner: Runner) -> None:
    sync_id = runner.sync()
    state = runner.org.server.app.state.syncline
    waiting_id = runner.holding(
        sync_id,
        "queued",
        created_at=utcnow() - timedelta(minutes=10),
        heartbeat_at=utcnow() - timedelta(seconds=30),
    )
    runtime = Runtime(state.store, state.box, state.settings)
    executor = _Recording()

    assert waiting_id not in redeliver_queued(runtime, executor, utcnow())
    assert waiting_id not in executor.submitted
    later = utcnow() + timedelta(minutes=5)
    assert waiting_id in redeliver_queued(runtime, executor, later)
    assert waiting_id in executor.submitted


class _Recording:
    """An executor that only notes what it is handed."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, execution_id: str) -> None:
        self.submitted.append(execution_id)

    def shutdown(self) -> None:
        pass
