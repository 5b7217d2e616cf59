"""The reaper: an execution whose owner is provably gone ends `interrupted`; no other."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from syncline.services.owners import Owner
from syncline.services.reaper import reap_stale, redeliver_queued
from syncline.services.runs import Runtime
from syncline.store.tables import Execution, utcnow
from tests.api.execution_fixtures import Runner, copy_rows, source_rows
from tests.api.owner_fixtures import ended_process


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


def test_a_reaped_run_ends_at_its_last_heartbeat_and_says_why(runner: Runner) -> None:
    sync_id = runner.sync()
    last_beat = utcnow() - timedelta(hours=2)
    dead = runner.holding(
        sync_id, "running", started_at=last_beat - timedelta(minutes=5), heartbeat_at=last_beat
    )
    state = runner.org.server.app.state.syncline

    assert dead in reap_stale(Runtime(state.store, state.box, state.settings))

    execution = _stored(runner, dead)
    assert execution.status == "interrupted"
    assert execution.completed_at == last_beat
    assert len(execution.errors) == 1, execution.errors
    assert "no heartbeat for over 45 s" in execution.errors[0]
    assert last_beat.isoformat(timespec="seconds") in execution.errors[0]


def test_a_run_whose_process_on_this_machine_is_gone_ends_at_once(runner: Runner) -> None:
    sync_id = runner.sync()
    gone = ended_process()
    last_beat = utcnow() - timedelta(seconds=1)  # fresh: only the missing process tells
    dead = runner.holding(
        sync_id, "running", started_at=last_beat, heartbeat_at=last_beat, owner=gone.record()
    )
    state = runner.org.server.app.state.syncline

    assert dead in reap_stale(Runtime(state.store, state.box, state.settings))

    execution = _stored(runner, dead)
    assert execution.status == "interrupted"
    assert execution.completed_at == last_beat
    assert execution.errors == [
        f"the process running it (pid {gone.pid} on host {gone.host}) stopped; "
        f"its last heartbeat was at {last_beat.isoformat(timespec='seconds')}"
    ]
    assert runner.run(sync_id)["status"] == "completed"


def test_a_reused_process_id_does_not_keep_a_dead_owner_alive(runner: Runner) -> None:
    sync_id = runner.sync()
    # This very pid, but a process that started an hour before this one did.
    earlier = replace(Owner.this_process(), started=Owner.this_process().started - 3600)
    dead = runner.holding(
        sync_id, "running", started_at=utcnow(), heartbeat_at=utcnow(), owner=earlier.record()
    )
    state = runner.org.server.app.state.syncline

    assert dead in reap_stale(Runtime(state.store, state.box, state.settings))
    assert _stored(runner, dead).status == "interrupted"


def test_live_owners_keep_their_runs_wherever_they_run(runner: Runner) -> None:
    here = Owner.this_process()
    elsewhere = Owner("other-host", here.pid + 1, here.started, "another boot and namespace")
    live = {}
    for owner in (here, elsewhere):
        sync_id = runner.sync()
        live[sync_id] = runner.holding(
            sync_id, "running", started_at=utcnow(), heartbeat_at=utcnow(), owner=owner.record()
        )
    sync_id = runner.sync()
    queued = runner.holding(sync_id, "queued", created_at=utcnow() - timedelta(hours=2))
    state = runner.org.server.app.state.syncline

    reaped = reap_stale(Runtime(state.store, state.box, state.settings))

    assert not set(reaped) & {*live.values(), queued}
    assert [_stored(runner, e).status for e in live.values()] == ["running", "running"]
    assert _stored(runner, queued).status == "queued"
    for sync_id in live:
        assert runner.start(sync_id).status_code == 409  # still their sync's run


def test_an_owner_on_another_machine_is_gone_only_when_its_heartbeat_is(
    runner: Runner,
) -> None:
    here = Owner.this_process()
    elsewhere = Owner("other-host", 4242, here.started, "another boot and namespace")
    sync_id = runner.sync()
    last_beat = utcnow() - timedelta(minutes=5)
    dead = runner.holding(
        sync_id, "running", started_at=last_beat, heartbeat_at=last_beat, owner=elsewhere.record()
    )
    state = runner.org.server.app.state.syncline

    assert dead in reap_stale(Runtime(state.store, state.box, state.settings))

    (error,) = _stored(runner, dead).errors
    assert error.startswith(
        "no heartbeat for over 45 s from the process running it (pid 4242 on host other-host)"
    ), error


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


def _stored(runner: Runner, execution_id: str) -> Execution:
    with runner.org.server.app.state.syncline.store.session() as session:
        execution = session.get(Execution, execution_id)
        assert execution is not None
        return execution


class _Recording:
    """An executor that only notes what it is handed."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, execution_id: str) -> None:
        self.submitted.append(execution_id)

    def shutdown(self) -> None:
        pass
