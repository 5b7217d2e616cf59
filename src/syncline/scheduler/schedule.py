"""When a stored schedule is next due: pure arithmetic over a plain mapping.

A schedule here is the stored dict that `Schedule.model_dump(exclude_none=True)`
produces (the scheduler must not import `services`, which depends on it).
Every calendar frequency (hourly, daily, weekly, custom) is translated to a
5-field cron expression and evaluated by croniter in UTC, so month ends,
leap years and day-of-week rules live in one tested library. Cron slots are
whole minutes; `continuous` is the only frequency with sub-minute slots.

All datetimes passed in must be timezone-aware (any zone; they are converted
to UTC); every datetime returned is in UTC. Schedules are assumed to have
been validated; a malformed one raises `ValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

DEFAULT_CONTINUOUS_INTERVAL = timedelta(seconds=60)

_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_CRON_PARTS = ("minute", "hour", "day_of_month", "month", "day_of_week")
_MINUTE = timedelta(minutes=1)
_EVENT_DRIVEN = frozenset({"manual", "runafter"})


def next_run(
    schedule: Mapping[str, Any],
    *,
    after: datetime,
    continuous_interval: timedelta = DEFAULT_CONTINUOUS_INTERVAL,
) -> datetime | None:
    """The first time `schedule` is due strictly after `after`, in UTC.

    `manual` and `runafter` (event-driven) and unknown frequencies give None.
    `continuous` gives `after + interval`, the interval being the schedule's
    `interval_seconds` when present, else `continuous_interval`. `multi` gives
    the earliest next run of its inner schedules that have one (None if none
    has). Raises ValueError for a naive `after` or a malformed schedule.
    """
    moment = _utc(after, "after")
    frequency = _frequency(schedule)
    if frequency == "continuous":
        return moment + _interval(schedule, continuous_interval)
    if frequency == "multi":
        candidates = [
            found
            for inner in _inner_schedules(schedule)
            if (found := next_run(inner, after=moment, continuous_interval=continuous_interval))
            is not None
        ]
        return min(candidates, default=None)
    expression = _cron(schedule, frequency)
    if expression is None:
        return None
    # Slots are whole minutes and croniter's get_next is strict, so starting
    # from the floored minute yields the first slot strictly after `after`.
    start = _floor_minute(moment)
    return _as_utc(croniter(expression, start).get_next(datetime))


def due_slot(
    schedule: Mapping[str, Any],
    *,
    last_slot: datetime | None,
    created: datetime,
    now: datetime,
    continuous_interval: timedelta = DEFAULT_CONTINUOUS_INTERVAL,
) -> datetime | None:
    """The slot the sync should run for now, or None when nothing is due.

    The reference is `last_slot` (the slot of the last run the scheduler
    started) or, before any, `created`. The result is the most recent slot
    `s` with `reference < s <= now`: after downtime only the latest missed
    slot is returned, so a missed period runs once, not once per slot. The
    cost does not grow with the downtime (one croniter `get_prev` from `now`).

    `continuous` is due when `now >= reference + interval`, and its slot is
    `now` itself (continuous runs have no calendar). `multi` gives the latest
    due slot among its inner schedules. `manual`, `runafter` and unknown
    frequencies give None. Raises ValueError for a naive datetime or a
    malformed schedule.
    """
    current = _utc(now, "now")
    first = _utc(created, "created")
    reference = _utc(last_slot, "last_slot") if last_slot is not None else first
    if reference >= current:
        return None
    frequency = _frequency(schedule)
    if frequency == "continuous":
        due = current >= reference + _interval(schedule, continuous_interval)
        return current if due else None
    if frequency == "multi":
        candidates = [
            found
            for inner in _inner_schedules(schedule)
            if (
                found := due_slot(
                    inner,
                    last_slot=reference,
                    created=reference,
                    now=current,
                    continuous_interval=continuous_interval,
                )
            )
            is not None
        ]
        return max(candidates, default=None)
    expression = _cron(schedule, frequency)
    if expression is None:
        return None
    # get_prev is strict, so starting one minute past the floored `now`
    # yields the latest slot at or before `now`.
    latest = _as_utc(croniter(expression, _floor_minute(current) + _MINUTE).get_prev(datetime))
    return latest if latest > reference else None


def runs_after(schedule: Mapping[str, Any]) -> list[str]:
    """The sync ids `schedule` runs after, also inside `multi`, in order without repeats."""
    found: list[str] = list((schedule.get("run_after") or {}).get("sync_ids") or [])
    for inner in _inner_schedules(schedule):
        found.extend(runs_after(inner))
    return list(dict.fromkeys(found))


def success_only(schedule: Mapping[str, Any]) -> bool:
    """Whether `schedule` runs only after successful upstream runs.

    True when its `run_after_success_only` is set or, for `multi`, when any
    inner schedule's is.
    """
    if schedule.get("run_after_success_only"):
        return True
    return any(success_only(inner) for inner in _inner_schedules(schedule))


def _cron(schedule: Mapping[str, Any], frequency: str) -> str | None:
    if frequency in _EVENT_DRIVEN:
        return None
    minute = _field(schedule, "minute", "0")
    hour = _field(schedule, "hour", "0")
    if frequency == "hourly":
        expression = f"{minute} * * * *"
    elif frequency == "daily":
        expression = f"{minute} {hour} * * *"
    elif frequency == "weekly":
        expression = f"{minute} {hour} * * {_weekday_number(schedule.get('day_of_week'))}"
    elif frequency == "custom":
        expression = " ".join(_field(schedule, part, "*") for part in _CRON_PARTS)
    else:
        return None
    if not croniter.is_valid(expression):
        raise ValueError(f"schedule: {expression!r} is not a valid cron expression")
    return expression


def _field(schedule: Mapping[str, Any], name: str, default: str) -> str:
    value = schedule.get(name)
    text = str(value).strip() if value is not None else ""
    return text or default


def _weekday_number(value: Any) -> int:
    text = str(value or "").strip().lower()
    for number, day in enumerate(_WEEKDAYS):
        if text in (day, day[:3], str(number)):
            return number
    raise ValueError(f"schedule.day_of_week: expected a day of the week, got {value!r}")


def _frequency(schedule: Mapping[str, Any]) -> str:
    # An empty frequency means manual, as validation normalizes it.
    return str(schedule.get("frequency") or "manual").strip()


def _inner_schedules(schedule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if _frequency(schedule) != "multi":
        return []
    return [inner for inner in schedule.get("schedules") or [] if isinstance(inner, Mapping)]


def _interval(schedule: Mapping[str, Any], default: timedelta) -> timedelta:
    seconds = schedule.get("interval_seconds")
    if seconds is None:
        if default <= timedelta(0):
            raise ValueError("continuous_interval must be positive")
        return default
    # bool is an int subclass; True seconds is a bug, not an interval.
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValueError(
            f"schedule.interval_seconds: expected a whole number >= 1, got {seconds!r}"
        )
    return timedelta(seconds=seconds)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: expected a timezone-aware datetime, got a naive one")
    return moment.astimezone(UTC)


def _as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
