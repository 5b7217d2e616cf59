"""Schedules are checked in full when a sync is saved, so every saved schedule can run.

Each frequency takes the keys of its form (`GET /api/syncs/schedules`) and no
other; a custom schedule needs a cron expression that fires; daily and weekly
times take the documented strings (the SDK's `Schedule`: `hour`, `minute`,
`day_of_week`, all strings). Schedules stored before these rules must not stop
the scheduler or the status of a sync.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from syncline.services.scheduling import Scheduler
from syncline.store.syncs import SyncRepository
from syncline.store.tables import utcnow
from tests.api.execution_fixtures import Runner
from tests.api.sync_fixtures import SyncSetup

# What these tests check is decided before the metadata store (validation against the
# model and the target), so they run on one metadata backend.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _refused(setup: SyncSetup, schedule: dict[str, Any], path: str) -> str:
    response = setup.create(schedule=schedule)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["metadata"]["path"] == path, body
    message: str = body["message"]
    return message


def _saved(setup: SyncSetup, schedule: dict[str, Any]) -> dict[str, Any]:
    response = setup.create(schedule=schedule)
    assert response.status_code == 200, response.text
    saved: dict[str, Any] = response.json()["data"]["schedule"]
    return saved


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"frequency": "daily", "hour": "9", "time": "09:30"}, "schedule.time"),
        ({"frequency": "manual", "cron": "0 9 * * *"}, "schedule.cron"),
        ({"frequency": "custom", "minute": "5", "seconds": "0"}, "schedule.seconds"),
        (
            {"frequency": "multi", "schedules": [{"frequency": "hourly", "minutes": "5"}]},
            "schedule.schedules[0].minutes",
        ),
    ],
)
def test_unknown_schedule_keys_are_refused(
    setup: SyncSetup, schedule: dict[str, Any], path: str
) -> None:
    assert "unknown schedule key" in _refused(setup, schedule, path)


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"frequency": "daily", "hour": "9", "day_of_week": "monday"}, "schedule.day_of_week"),
        ({"frequency": "hourly", "minute": "5", "hour": "9"}, "schedule.hour"),
        ({"frequency": "manual", "minute": "5"}, "schedule.minute"),
        ({"frequency": "weekly", "day_of_week": "monday", "month": "1"}, "schedule.month"),
        ({"frequency": "daily", "interval_seconds": 60}, "schedule.interval_seconds"),
        ({"frequency": "hourly", "schedules": [{"frequency": "daily"}]}, "schedule.schedules"),
    ],
)
def test_keys_of_another_frequency_are_refused(
    setup: SyncSetup, schedule: dict[str, Any], path: str
) -> None:
    assert "does not take" in _refused(setup, schedule, path)


def test_empty_values_of_other_keys_are_ignored(setup: SyncSetup) -> None:
    # Clients send every key of the SDK's Schedule, unset ones empty.
    schedule = {
        "frequency": "daily",
        "hour": "9",
        "minute": "30",
        "day_of_week": None,
        "day_of_month": "",
        "month": None,
        "run_after": {"sync_ids": []},
        "run_after_success_only": False,
        "connection_id": None,
        "job_id": None,
    }
    assert _saved(setup, schedule) == {"frequency": "daily", "hour": "9", "minute": "30"}


@pytest.mark.parametrize(
    "schedule",
    [
        {"frequency": "custom"},
        {"frequency": "custom", "minute": "", "hour": " ", "day_of_week": None},
    ],
)
def test_a_custom_schedule_needs_a_cron_expression(
    setup: SyncSetup, schedule: dict[str, Any]
) -> None:
    assert "cron expression" in _refused(setup, schedule, "schedule")


@pytest.mark.parametrize(
    ("day", "month"), [("31", "2"), ("30", "2"), ("31", "4,6,9,11"), ("30-31", "feb")]
)
def test_a_cron_schedule_that_never_fires_is_refused(
    setup: SyncSetup, day: str, month: str
) -> None:
    schedule = {"frequency": "custom", "minute": "0", "hour": "0", "day_of_month": day}
    message = _refused(setup, {**schedule, "month": month}, "schedule.day_of_month")
    assert "never fires" in message


def test_a_cron_schedule_that_fires_only_in_leap_years_is_kept(setup: SyncSetup) -> None:
    schedule = {"frequency": "custom", "minute": "0", "hour": "0", "day_of_month": "29"}
    assert _saved(setup, {**schedule, "month": "2"})["day_of_month"] == "29"


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"frequency": "daily", "hour": "24"}, "schedule.hour"),
        ({"frequency": "daily", "hour": "-1"}, "schedule.hour"),
        ({"frequency": "daily", "hour": "9", "minute": "60"}, "schedule.minute"),
        ({"frequency": "daily", "hour": "\u00b2"}, "schedule.hour"),  # a superscript two
        ({"frequency": "daily", "hour": "\u0663"}, "schedule.hour"),  # an Arabic-Indic three
        ({"frequency": "daily", "hour": "9:30"}, "schedule.hour"),
        ({"frequency": "daily", "hour": 9}, "schedule.hour"),
        ({"frequency": "weekly", "day_of_week": "monday", "hour": "25"}, "schedule.hour"),
        ({"frequency": "weekly", "day_of_week": "mon-fri"}, "schedule.day_of_week"),
        ({"frequency": "weekly", "day_of_week": "7"}, "schedule.day_of_week"),
        ({"frequency": "weekly", "hour": "9"}, "schedule.day_of_week"),
        ({"frequency": "hourly", "minute": "\u00b9"}, "schedule.minute"),
    ],
)
def test_daily_and_weekly_times_out_of_range_are_refused(
    setup: SyncSetup, schedule: dict[str, Any], path: str
) -> None:
    _refused(setup, schedule, path)


@pytest.mark.parametrize(
    ("schedule", "saved"),
    [
        ({"frequency": "daily", "hour": "07", "minute": "5"}, {"hour": "7", "minute": "5"}),
        ({"frequency": "daily", "hour": "23"}, {"hour": "23", "minute": "0"}),
        (
            {"frequency": "weekly", "day_of_week": "Sat", "hour": "0", "minute": "59"},
            {"day_of_week": "saturday", "hour": "0", "minute": "59"},
        ),
        (
            {"frequency": "weekly", "day_of_week": "0", "hour": "12"},
            {"day_of_week": "sunday", "hour": "12", "minute": "0"},
        ),
    ],
)
def test_daily_and_weekly_take_the_documented_fields(
    setup: SyncSetup, schedule: dict[str, Any], saved: dict[str, str]
) -> None:
    assert _saved(setup, schedule) == {"frequency": schedule["frequency"], **saved}


def test_the_schedule_forms_list_what_each_frequency_takes(setup: SyncSetup) -> None:
    options = setup.org.client.get("/api/syncs/schedules").json()["data"]["schedule_options"]
    forms = {o["frequency"]: o["configuration"] for o in options}
    assert set(forms["daily"]["properties"]) == {"hour", "minute"}
    assert forms["daily"]["required"] == []  # both default to "0"
    assert set(forms["weekly"]["properties"]) == {"day_of_week", "hour", "minute"}
    assert forms["weekly"]["required"] == ["day_of_week"]
    assert set(forms["continuous"]["properties"]) == {"interval_seconds"}


@pytest.mark.parametrize("seconds", ["abc", 0, -5, True, 1.5])
def test_a_continuous_interval_is_a_whole_number_of_seconds(setup: SyncSetup, seconds: Any) -> None:
    schedule = {"frequency": "continuous", "interval_seconds": seconds}
    _refused(setup, schedule, "schedule.interval_seconds")


def test_a_continuous_interval_is_kept(setup: SyncSetup) -> None:
    schedule = {"frequency": "continuous", "interval_seconds": 300}
    assert _saved(setup, schedule) == schedule


def _store_schedule(runner: Runner, sync_id: str, schedule: dict[str, Any]) -> None:
    """Write a schedule straight to the store, as a sync saved before these rules has it."""
    store = runner.org.server.app.state.syncline.store
    with store.session() as session:
        sync = SyncRepository(session, runner.org.id).get(sync_id)
        sync.config = {**sync.config, "schedule": schedule}


NEVER = {"frequency": "custom", "minute": "0", "hour": "0", "day_of_month": "31", "month": "2"}


def test_a_stored_schedule_that_never_fires_has_no_next_run(runner: Runner) -> None:
    sync_id = runner.sync()
    _store_schedule(runner, sync_id, NEVER)
    try:
        status = runner.org.client.get(f"/api/syncs/{sync_id}/status")
        assert status.status_code == 200, status.text
        assert status.json()["data"]["next_execution_time"] is None
    finally:
        runner.org.client.delete(f"/api/syncs/{sync_id}")


def test_a_stored_schedule_that_never_fires_does_not_stop_the_scheduler(runner: Runner) -> None:
    broken = runner.sync()
    _store_schedule(runner, broken, NEVER)
    due = runner.sync(schedule={"frequency": "custom", "minute": "*"})
    scheduler: Scheduler = runner.org.server.app.state.syncline.scheduler
    try:
        started = scheduler.tick(utcnow() + timedelta(minutes=2))
        ours = {
            e["id"] for e in runner.org.client.get(f"/api/syncs/{due}/executions").json()["data"]
        }
        mine = [execution for execution in started if execution in ours]
        assert len(mine) == 1
        assert runner.wait(due, mine[0])["status"] == "completed"
    finally:
        runner.org.client.delete(f"/api/syncs/{broken}")
