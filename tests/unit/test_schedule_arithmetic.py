"""Schedule arithmetic: next runs and due slots on a fake clock (fixed datetimes)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from syncline.scheduler.schedule import due_slot, next_run, runs_after, success_only


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def custom(
    minute: str = "*",
    hour: str = "*",
    day_of_month: str = "*",
    month: str = "*",
    day_of_week: str = "*",
) -> dict[str, Any]:
    return {
        "frequency": "custom",
        "minute": minute,
        "hour": hour,
        "day_of_month": day_of_month,
        "month": month,
        "day_of_week": day_of_week,
    }


def runs(schedule: dict[str, Any], after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        nxt = next_run(schedule, after=after)
        assert nxt is not None
        found.append(nxt)
        after = nxt
    return found


HOURLY_AT_15 = {"frequency": "hourly", "minute": "15"}
DAILY_AT_0930 = {"frequency": "daily", "hour": "9", "minute": "30"}
WEEKLY_MONDAY_0800 = {"frequency": "weekly", "day_of_week": "monday", "hour": "8", "minute": "0"}


# next_run: hourly, daily, weekly


def test_hourly_runs_later_in_the_same_hour() -> None:
    assert next_run(HOURLY_AT_15, after=at(2024, 3, 5, 10, 0)) == at(2024, 3, 5, 10, 15)


def test_hourly_at_its_minute_runs_next_hour() -> None:
    assert next_run(HOURLY_AT_15, after=at(2024, 3, 5, 10, 15)) == at(2024, 3, 5, 11, 15)


def test_hourly_with_seconds_past_the_slot_runs_next_hour() -> None:
    assert next_run(HOURLY_AT_15, after=at(2024, 3, 5, 10, 15, 1)) == at(2024, 3, 5, 11, 15)


def test_hourly_crosses_midnight_into_next_day() -> None:
    assert next_run(HOURLY_AT_15, after=at(2024, 3, 5, 23, 20)) == at(2024, 3, 6, 0, 15)


def test_hourly_without_minute_runs_on_the_hour() -> None:
    assert next_run({"frequency": "hourly"}, after=at(2024, 3, 5, 10, 1)) == at(2024, 3, 5, 11, 0)


def test_daily_runs_today_when_time_is_ahead() -> None:
    assert next_run(DAILY_AT_0930, after=at(2024, 3, 5, 8, 0)) == at(2024, 3, 5, 9, 30)


def test_daily_runs_tomorrow_when_time_has_passed() -> None:
    assert next_run(DAILY_AT_0930, after=at(2024, 3, 5, 9, 30)) == at(2024, 3, 6, 9, 30)


def test_daily_crosses_month_end() -> None:
    assert next_run(DAILY_AT_0930, after=at(2024, 4, 30, 10, 0)) == at(2024, 5, 1, 9, 30)


def test_daily_crosses_leap_day() -> None:
    assert next_run(DAILY_AT_0930, after=at(2024, 2, 28, 10, 0)) == at(2024, 2, 29, 9, 30)


def test_daily_crosses_year_end() -> None:
    assert next_run(DAILY_AT_0930, after=at(2024, 12, 31, 23, 59)) == at(2025, 1, 1, 9, 30)


def test_weekly_runs_on_its_weekday() -> None:
    # 2024-03-06 is a Wednesday; the next Monday is 2024-03-11.
    assert next_run(WEEKLY_MONDAY_0800, after=at(2024, 3, 6, 12, 0)) == at(2024, 3, 11, 8, 0)


def test_weekly_at_its_slot_runs_a_week_later() -> None:
    assert next_run(WEEKLY_MONDAY_0800, after=at(2024, 3, 11, 8, 0)) == at(2024, 3, 18, 8, 0)


def test_weekly_crosses_year_end() -> None:
    # 2024-12-31 is a Tuesday; the next Monday is 2025-01-06.
    assert next_run(WEEKLY_MONDAY_0800, after=at(2024, 12, 31, 0, 0)) == at(2025, 1, 6, 8, 0)


def test_weekly_sunday_is_weekday_zero() -> None:
    schedule = {"frequency": "weekly", "day_of_week": "sunday", "hour": "0", "minute": "0"}
    # 2024-03-09 is a Saturday.
    assert next_run(schedule, after=at(2024, 3, 9, 12, 0)) == at(2024, 3, 10, 0, 0)


def test_weekly_without_day_of_week_is_rejected() -> None:
    with pytest.raises(ValueError, match="day_of_week"):
        next_run({"frequency": "weekly", "hour": "1"}, after=at(2024, 3, 5))


# next_run: custom cron


def test_custom_every_fifteen_minutes() -> None:
    assert runs(custom(minute="*/15"), at(2024, 3, 5, 10, 7), 4) == [
        at(2024, 3, 5, 10, 15),
        at(2024, 3, 5, 10, 30),
        at(2024, 3, 5, 10, 45),
        at(2024, 3, 5, 11, 0),
    ]


def test_custom_thirty_first_skips_short_months() -> None:
    assert runs(custom("0", "0", "31"), at(2024, 1, 31, 0, 0), 3) == [
        at(2024, 3, 31),
        at(2024, 5, 31),
        at(2024, 7, 31),
    ]


def test_custom_february_29th_runs_only_in_leap_years() -> None:
    assert runs(custom("0", "0", "29", "2"), at(2024, 3, 1), 2) == [
        at(2028, 2, 29),
        at(2032, 2, 29),
    ]


def test_custom_weekdays_skip_the_weekend() -> None:
    # 2024-03-08 is a Friday.
    assert next_run(custom("0", "9", day_of_week="mon-fri"), after=at(2024, 3, 8, 9, 0)) == at(
        2024, 3, 11, 9, 0
    )


def test_custom_quarterly_on_the_first() -> None:
    assert runs(custom("0", "9", "1", "*/3"), at(2024, 2, 15), 3) == [
        at(2024, 4, 1, 9, 0),
        at(2024, 7, 1, 9, 0),
        at(2024, 10, 1, 9, 0),
    ]


def test_custom_missing_fields_are_wildcards() -> None:
    assert next_run({"frequency": "custom", "minute": "5"}, after=at(2024, 3, 5, 10, 6)) == at(
        2024, 3, 5, 11, 5
    )


def test_custom_last_day_of_month_crosses_into_next_year() -> None:
    assert next_run(custom("59", "23", "31", "12"), after=at(2024, 12, 31, 23, 59)) == at(
        2025, 12, 31, 23, 59
    )


def test_custom_invalid_cron_is_rejected() -> None:
    with pytest.raises(ValueError, match="cron"):
        next_run(custom(minute="61"), after=at(2024, 3, 5))


# next_run: other frequencies


def test_manual_never_runs_on_its_own() -> None:
    assert next_run({"frequency": "manual"}, after=at(2024, 3, 5)) is None


def test_empty_schedule_is_manual() -> None:
    assert next_run({}, after=at(2024, 3, 5)) is None


def test_runafter_is_event_driven() -> None:
    schedule = {"frequency": "runafter", "run_after": {"sync_ids": ["a"]}}
    assert next_run(schedule, after=at(2024, 3, 5)) is None


def test_unknown_frequency_never_runs() -> None:
    assert next_run({"frequency": "fortnightly"}, after=at(2024, 3, 5)) is None


def test_continuous_uses_the_default_interval() -> None:
    assert next_run({"frequency": "continuous"}, after=at(2024, 3, 5, 10, 0, 30)) == at(
        2024, 3, 5, 10, 1, 30
    )


def test_continuous_uses_the_given_default_interval() -> None:
    assert next_run(
        {"frequency": "continuous"},
        after=at(2024, 3, 5, 10, 0),
        continuous_interval=timedelta(seconds=5),
    ) == at(2024, 3, 5, 10, 0, 5)


def test_continuous_interval_seconds_overrides_the_default() -> None:
    schedule = {"frequency": "continuous", "interval_seconds": 300}
    assert next_run(schedule, after=at(2024, 3, 5, 10, 0)) == at(2024, 3, 5, 10, 5)


@pytest.mark.parametrize("bad", [0, -1, "30", True, 1.5])
def test_continuous_bad_interval_seconds_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="interval_seconds"):
        next_run({"frequency": "continuous", "interval_seconds": bad}, after=at(2024, 3, 5))


def test_multi_picks_the_earliest_inner_run() -> None:
    schedule = {
        "frequency": "multi",
        "schedules": [DAILY_AT_0930, HOURLY_AT_15, {"frequency": "manual"}],
    }
    assert next_run(schedule, after=at(2024, 3, 5, 9, 20)) == at(2024, 3, 5, 9, 30)
    assert next_run(schedule, after=at(2024, 3, 5, 9, 30)) == at(2024, 3, 5, 10, 15)


def test_multi_of_only_event_driven_schedules_never_runs() -> None:
    schedule = {
        "frequency": "multi",
        "schedules": [{"frequency": "manual"}, {"frequency": "runafter", "run_after": {}}],
    }
    assert next_run(schedule, after=at(2024, 3, 5)) is None


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run(HOURLY_AT_15, after=datetime(2024, 3, 5, 10, 0))


def test_other_time_zones_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    result = next_run(DAILY_AT_0930, after=datetime(2024, 3, 5, 11, 0, tzinfo=plus_two))
    assert result == at(2024, 3, 5, 9, 30)
    assert result is not None
    assert result.tzinfo == UTC


# due_slot


def test_nothing_is_due_before_the_first_slot() -> None:
    assert (
        due_slot(
            HOURLY_AT_15, last_slot=None, created=at(2024, 3, 5, 10, 0), now=at(2024, 3, 5, 10, 14)
        )
        is None
    )


def test_slot_is_due_exactly_at_its_time() -> None:
    assert due_slot(
        HOURLY_AT_15, last_slot=None, created=at(2024, 3, 5, 10, 0), now=at(2024, 3, 5, 10, 15)
    ) == at(2024, 3, 5, 10, 15)


def test_slot_stays_due_later_in_its_minute() -> None:
    assert due_slot(
        HOURLY_AT_15, last_slot=None, created=at(2024, 3, 5, 10, 0), now=at(2024, 3, 5, 10, 15, 59)
    ) == at(2024, 3, 5, 10, 15)


def test_slot_already_run_is_not_due_again() -> None:
    assert (
        due_slot(
            HOURLY_AT_15,
            last_slot=at(2024, 3, 5, 10, 15),
            created=at(2024, 3, 1),
            now=at(2024, 3, 5, 11, 0),
        )
        is None
    )


def test_last_slot_takes_precedence_over_created() -> None:
    assert due_slot(
        HOURLY_AT_15,
        last_slot=at(2024, 3, 5, 10, 15),
        created=at(2024, 3, 5, 11, 30),
        now=at(2024, 3, 5, 11, 20),
    ) == at(2024, 3, 5, 11, 15)


def test_slot_at_creation_time_is_not_due() -> None:
    assert (
        due_slot(
            HOURLY_AT_15, last_slot=None, created=at(2024, 3, 5, 10, 15), now=at(2024, 3, 5, 10, 16)
        )
        is None
    )


def test_missed_slots_after_downtime_return_only_the_latest() -> None:
    assert due_slot(
        HOURLY_AT_15,
        last_slot=at(2024, 3, 5, 10, 15),
        created=at(2024, 3, 1),
        now=at(2024, 3, 5, 16, 40),
    ) == at(2024, 3, 5, 16, 15)


def test_long_downtime_is_one_step_for_an_every_minute_cron() -> None:
    started = time.perf_counter()
    slot = due_slot(
        custom(),
        last_slot=at(2023, 3, 5, 10, 0),
        created=at(2023, 1, 1),
        now=at(2024, 3, 4, 10, 0, 42),
    )
    assert slot == at(2024, 3, 4, 10, 0)
    # One get_prev, not 500,000 iterations; the bound is generous for slow CI.
    assert time.perf_counter() - started < 0.5


def test_rare_cron_after_years_down_returns_its_latest_slot() -> None:
    slot = due_slot(
        custom("0", "0", "29", "2"),
        last_slot=at(2016, 2, 29),
        created=at(2016, 1, 1),
        now=at(2025, 6, 1),
    )
    assert slot == at(2024, 2, 29)


def test_manual_is_never_due() -> None:
    assert (
        due_slot(
            {"frequency": "manual"}, last_slot=None, created=at(2020, 1, 1), now=at(2024, 1, 1)
        )
        is None
    )


def test_runafter_is_never_due_by_time() -> None:
    schedule = {"frequency": "runafter", "run_after": {"sync_ids": ["a"]}}
    assert due_slot(schedule, last_slot=None, created=at(2020, 1, 1), now=at(2024, 1, 1)) is None


def test_continuous_is_not_due_within_the_interval() -> None:
    assert (
        due_slot(
            {"frequency": "continuous"},
            last_slot=at(2024, 3, 5, 10, 0),
            created=at(2024, 3, 1),
            now=at(2024, 3, 5, 10, 0, 59),
        )
        is None
    )


def test_continuous_is_due_at_the_interval_with_now_as_slot() -> None:
    now = at(2024, 3, 5, 10, 1)
    assert (
        due_slot(
            {"frequency": "continuous"},
            last_slot=at(2024, 3, 5, 10, 0),
            created=at(2024, 3, 1),
            now=now,
        )
        == now
    )


def test_continuous_after_downtime_is_due_once_at_now() -> None:
    now = at(2024, 3, 9, 7, 3, 12)
    schedule = {"frequency": "continuous", "interval_seconds": 10}
    assert (
        due_slot(schedule, last_slot=at(2024, 3, 5, 10, 0), created=at(2024, 3, 1), now=now) == now
    )


def test_continuous_counts_from_creation_before_the_first_run() -> None:
    schedule = {"frequency": "continuous", "interval_seconds": 30}
    created = at(2024, 3, 5, 10, 0)
    assert (
        due_slot(schedule, last_slot=None, created=created, now=at(2024, 3, 5, 10, 0, 29)) is None
    )
    assert due_slot(schedule, last_slot=None, created=created, now=at(2024, 3, 5, 10, 0, 30)) == at(
        2024, 3, 5, 10, 0, 30
    )


def test_multi_due_slot_is_the_latest_among_inner_schedules() -> None:
    schedule = {"frequency": "multi", "schedules": [DAILY_AT_0930, HOURLY_AT_15]}
    assert due_slot(
        schedule, last_slot=at(2024, 3, 5, 9, 0), created=at(2024, 3, 1), now=at(2024, 3, 5, 9, 45)
    ) == at(2024, 3, 5, 9, 30)
    assert due_slot(
        schedule,
        last_slot=at(2024, 3, 5, 9, 30),
        created=at(2024, 3, 1),
        now=at(2024, 3, 5, 10, 20),
    ) == at(2024, 3, 5, 10, 15)


def test_multi_nothing_due_when_no_inner_schedule_is_due() -> None:
    schedule = {"frequency": "multi", "schedules": [DAILY_AT_0930, HOURLY_AT_15]}
    assert (
        due_slot(
            schedule,
            last_slot=at(2024, 3, 5, 9, 30),
            created=at(2024, 3, 1),
            now=at(2024, 3, 5, 10, 0),
        )
        is None
    )


def test_now_before_reference_is_not_due() -> None:
    assert (
        due_slot(
            HOURLY_AT_15, last_slot=None, created=at(2024, 3, 5, 12, 0), now=at(2024, 3, 5, 11, 0)
        )
        is None
    )


@pytest.mark.parametrize("argument", ["last_slot", "created", "now"])
def test_naive_datetime_is_rejected_by_due_slot(argument: str) -> None:
    times: dict[str, Any] = {
        "last_slot": at(2024, 3, 5, 9, 0),
        "created": at(2024, 3, 1),
        "now": at(2024, 3, 5, 10, 0),
    }
    times[argument] = times[argument].replace(tzinfo=None)
    with pytest.raises(ValueError, match=argument):
        due_slot(HOURLY_AT_15, **times)


# runs_after and success_only


def test_runs_after_lists_upstream_sync_ids() -> None:
    schedule = {"frequency": "runafter", "run_after": {"sync_ids": ["a", "b"]}}
    assert runs_after(schedule) == ["a", "b"]


def test_runs_after_includes_multi_inner_schedules_without_repeats() -> None:
    schedule = {
        "frequency": "multi",
        "schedules": [
            {"frequency": "runafter", "run_after": {"sync_ids": ["a", "b"]}},
            HOURLY_AT_15,
            {"frequency": "runafter", "run_after": {"sync_ids": ["b", "c"]}},
        ],
    }
    assert runs_after(schedule) == ["a", "b", "c"]


def test_runs_after_of_a_calendar_schedule_is_empty() -> None:
    assert runs_after(DAILY_AT_0930) == []


def test_success_only_reads_the_flag() -> None:
    schedule = {"frequency": "runafter", "run_after": {"sync_ids": ["a"]}}
    assert success_only(schedule) is False
    assert success_only({**schedule, "run_after_success_only": True}) is True


def test_success_only_holds_when_an_inner_schedule_sets_it() -> None:
    schedule = {
        "frequency": "multi",
        "schedules": [
            HOURLY_AT_15,
            {
                "frequency": "runafter",
                "run_after": {"sync_ids": ["a"]},
                "run_after_success_only": True,
            },
        ],
    }
    assert success_only(schedule) is True
