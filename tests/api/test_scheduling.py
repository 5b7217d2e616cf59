"""The scheduler: due syncs start by themselves, once per slot, by one process at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from syncline.services.scheduling import Limits, Scheduler
from syncline.store.executions import ExecutionRepository
from syncline.store.tables import Execution, utcnow
from tests.api.execution_fixtures import Runner, pg

EVERY_MINUTE = {"frequency": "custom", "minute": "*"}


def _scheduler(runner: Runner) -> Scheduler:
    scheduler: Scheduler = runner.org.server.app.state.syncline.scheduler
    return scheduler


def _created(runner: Runner, sync_id: str) -> datetime:
    raw = runner.org.client.get(f"/api/syncs/{sync_id}").json()["data"]["created_at"]
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _executions(runner: Runner, sync_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()[
        "data"
    ]
    return data


def _mine(started: list[str], runner: Runner, sync_id: str) -> list[str]:
    """The started executions that belong to this test's sync (other tests share the store)."""
    ours = {e["id"] for e in _executions(runner, sync_id)}
    return [e for e in started if e in ours]


def test_a_due_sync_starts_once_per_slot_and_once_after_downtime(runner: Runner) -> None:
    sync_id = runner.sync(schedule=EVERY_MINUTE)
    created = _created(runner, sync_id)
    scheduler = _scheduler(runner)
    first = _mine(scheduler.tick(created + timedelta(minutes=2)), runner, sync_id)
    assert len(first) == 1
    assert runner.wait(sync_id, first[0])["status"] == "completed"
    assert _mine(scheduler.tick(created + timedelta(minutes=2)), runner, sync_id) == []
    after_downtime = _mine(scheduler.tick(created + timedelta(days=3)), runner, sync_id)
    assert len(after_downtime) == 1
    runner.wait(sync_id, after_downtime[0])
    assert [e["type"] for e in _executions(runner, sync_id)] == ["scheduled", "scheduled"]


def test_an_inactive_or_manual_sync_is_not_started(runner: Runner) -> None:
    paused = runner.sync(schedule=EVERY_MINUTE, active=False)
    manual = runner.sync()
    started = _scheduler(runner).tick(utcnow() + timedelta(days=1))
    assert _mine(started, runner, paused) == []
    assert _mine(started, runner, manual) == []


def test_only_the_lease_holder_schedules_until_it_lets_go(runner: Runner) -> None:
    sync_id = runner.sync(schedule=EVERY_MINUTE)
    later = _created(runner, sync_id) + timedelta(minutes=5)
    state = runner.org.server.app.state.syncline
    holder = _scheduler(runner)
    rival = Scheduler(state.store, state.executor)
    try:
        started = _mine(holder.tick(later), runner, sync_id)
        assert len(started) == 1
        runner.wait(sync_id, started[0])
        assert rival.tick(later + timedelta(seconds=5)) == []
        holder.stop()
        taken_over = _mine(rival.tick(later + timedelta(minutes=2)), runner, sync_id)
        assert len(taken_over) == 1
        runner.wait(sync_id, taken_over[0])
    finally:
        rival.stop()


def test_run_after_follows_its_upstream(runner: Runner) -> None:
    upstream = runner.sync()
    follower = runner.sync(
        schedule={"frequency": "runafter", "run_after": {"sync_ids": [upstream]}}
    )
    runner.run(upstream)
    started = _mine(_scheduler(runner).tick(utcnow() + timedelta(seconds=1)), runner, follower)
    assert len(started) == 1
    assert runner.wait(follower, started[0])["status"] == "completed"


def test_run_after_success_only_skips_a_failed_upstream(runner: Runner, schema: str) -> None:
    pg(f'CREATE TABLE "{schema}".doomed AS SELECT * FROM "{schema}".people')
    doomed = runner.model(f"{schema}.doomed")
    upstream = runner.sync(model_id=doomed)
    strict = runner.sync(
        schedule={
            "frequency": "runafter",
            "run_after": {"sync_ids": [upstream]},
            "run_after_success_only": True,
        }
    )
    lenient = runner.sync(schedule={"frequency": "runafter", "run_after": {"sync_ids": [upstream]}})
    pg(f'DROP TABLE "{schema}".doomed')
    assert runner.run(upstream)["status"] == "failed"
    started = _scheduler(runner).tick(utcnow() + timedelta(seconds=1))
    assert _mine(started, runner, strict) == []
    lenient_started = _mine(started, runner, lenient)
    assert len(lenient_started) == 1
    runner.wait(lenient, lenient_started[0])


def test_status_shows_the_next_execution_time(runner: Runner) -> None:
    sync_id = runner.sync(schedule={"frequency": "daily", "hour": "6", "minute": "30"})
    status = runner.org.client.get(f"/api/syncs/{sync_id}/status").json()["data"]
    next_time = datetime.fromisoformat(status["next_execution_time"].replace("Z", "+00:00"))
    assert (next_time.hour, next_time.minute) == (6, 30)
    assert utcnow() < next_time <= utcnow() + timedelta(days=1)
    manual = runner.sync()
    assert (
        runner.org.client.get(f"/api/syncs/{manual}/status").json()["data"]["next_execution_time"]
        is None
    )


def test_caps_leave_due_syncs_for_a_later_tick(runner: Runner) -> None:
    first = runner.sync(schedule=EVERY_MINUTE)
    second = runner.sync(schedule=EVERY_MINUTE)
    state = runner.org.server.app.state.syncline
    holder = _scheduler(runner)
    capped = Scheduler(state.store, state.executor, limits=Limits(per_connection=1))
    holder.stop()  # let the capped scheduler take the lease
    try:
        later = max(_created(runner, first), _created(runner, second)) + timedelta(minutes=2)
        started = capped.tick(later)
        ours = _mine(started, runner, first) + _mine(started, runner, second)
        assert len(ours) == 1
        finished = first if _mine(started, runner, first) else second
        waiting = second if finished == first else first
        runner.wait(finished, ours[0])
        # The same moment again: the finished sync's slot is spent, the waiting one's is not.
        again = _mine(capped.tick(later), runner, waiting)
        assert len(again) == 1
        runner.wait(waiting, again[0])
    finally:
        capped.stop()


def test_a_slot_that_falls_due_while_the_sync_runs_is_consumed_without_a_run(
    runner: Runner,
) -> None:
    sync_id = runner.sync(schedule=EVERY_MINUTE)
    created = _created(runner, sync_id)
    store = runner.org.server.app.state.syncline.store
    busy_id = runner.holding(sync_id, "running", started_at=utcnow(), heartbeat_at=utcnow())
    scheduler = _scheduler(runner)
    due = created + timedelta(minutes=2)

    assert _mine(scheduler.tick(due), runner, sync_id) == []

    with store.session() as session:
        ExecutionRepository(session, None).release_slot(sync_id, busy_id)
        session.get(Execution, busy_id).status = "completed"  # type: ignore[union-attr]
    assert _mine(scheduler.tick(due), runner, sync_id) == []  # that slot is gone
    later = _mine(scheduler.tick(due + timedelta(minutes=1)), runner, sync_id)
    assert len(later) == 1
    runner.wait(sync_id, later[0])
