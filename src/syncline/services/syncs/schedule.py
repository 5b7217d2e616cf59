"""Schedules: which frequencies exist, their forms, and validating one.

The arithmetic of when a schedule is next due belongs to the scheduler; this
module only decides whether a schedule is well-formed, and normalizes it.
Each frequency takes the keys its form (`SCHEDULE_OPTIONS`) lists and no
other: an unknown key, or a key of another frequency (a `day_of_week` on a
daily schedule), is refused rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadDateError, croniter
from pydantic import ValidationError as PydanticValidationError

from syncline.errors import ValidationFailed, validation_failed
from syncline.services.syncs.config import RunAfter, Schedule


@dataclass(frozen=True)
class ScheduleOption:
    """One frequency as `GET /api/syncs/schedules` describes it."""

    frequency: str
    label: str
    description: str
    configuration: dict[str, Any]


def _string(title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "description": description, **extra}


_MINUTE = _string("Minute", "Minute of the hour, 0-59.", pattern=r"^([0-5]?\d)$", default="0")
_HOUR = _string("Hour", "Hour of the day in UTC, 0-23.", pattern=r"^([01]?\d|2[0-3])$", default="0")
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_DAY_OF_WEEK = _string(
    "Day of week",
    "Day of the week: its name, its first three letters, or 0-6 from Sunday.",
    enum=list(_WEEKDAYS),
)
_RUN_AFTER = {
    "type": "object",
    "title": "Run after",
    "properties": {
        "sync_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    },
    "required": ["sync_ids"],
}


def _form(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


SCHEDULE_OPTIONS: tuple[ScheduleOption, ...] = (
    ScheduleOption(
        "manual", "Manual", "Runs only when started by hand or through the API.", _form({})
    ),
    ScheduleOption(
        "continuous",
        "Continuous",
        "Polls the model continuously and syncs changes.",
        _form(
            {
                "interval_seconds": {
                    "type": "integer",
                    "minimum": 1,
                    "title": "Interval",
                    "description": "Seconds between runs (default: the server's setting).",
                }
            }
        ),
    ),
    ScheduleOption(
        "hourly", "Hourly", "Runs every hour at the given minute.", _form({"minute": _MINUTE})
    ),
    ScheduleOption(
        "daily",
        "Daily",
        "Runs every day at the given time (UTC).",
        _form({"hour": _HOUR, "minute": _MINUTE}),
    ),
    ScheduleOption(
        "weekly",
        "Weekly",
        "Runs every week on the given day and time (UTC).",
        _form(
            {"day_of_week": _DAY_OF_WEEK, "hour": _HOUR, "minute": _MINUTE},
            ["day_of_week"],
        ),
    ),
    ScheduleOption(
        "custom",
        "Custom",
        "Runs on a 5-field cron schedule in UTC; give at least one field (the others are *).",
        _form(
            {
                "minute": _string("Minute", "Cron minute field, e.g. */15."),
                "hour": _string("Hour", "Cron hour field, e.g. 9-17."),
                "day_of_month": _string("Day of month", "Cron day-of-month field, e.g. 1."),
                "month": _string("Month", "Cron month field, e.g. */3."),
                "day_of_week": _string("Day of week", "Cron day-of-week field, e.g. mon-fri."),
            }
        ),
    ),
    ScheduleOption(
        "runafter",
        "Run after",
        "Runs after the listed syncs finish.",
        _form(
            {
                "run_after": _RUN_AFTER,
                "run_after_success_only": {
                    "type": "boolean",
                    "title": "Only after successful runs",
                },
            },
            ["run_after"],
        ),
    ),
    ScheduleOption(
        "multi",
        "Multiple",
        "Runs on each of several schedules.",
        _form(
            {"schedules": {"type": "array", "title": "Schedules", "items": {"type": "object"}}},
            ["schedules"],
        ),
    ),
)

FREQUENCIES = tuple(option.frequency for option in SCHEDULE_OPTIONS)
_UNSUPPORTED = {
    "builder": "the schedule builder is not supported; use 'custom' with cron fields",
    "dbtcloud": "dbt Cloud triggers are not supported",
}
_CRON_PARTS = ("minute", "hour", "day_of_month", "month", "day_of_week")
KEYS: dict[str, frozenset[str]] = {
    option.frequency: frozenset({"frequency", *option.configuration["properties"]})
    for option in SCHEDULE_OPTIONS
}
"""The keys each frequency takes: its form's properties, and `frequency`."""
ALL_KEYS = frozenset(Schedule.model_fields) | {key for keys in KEYS.values() for key in keys}
"""Every key a schedule object may have under some frequency."""
MAX_YEARS_BETWEEN_RUNS = 12
"""How far ahead a cron schedule's next run is looked for. A schedule that can
fire at all fires within 8 years (February 29 skips 2100), so one with no run in
12 is one that never fires, and the search stays bounded."""


@dataclass(frozen=True)
class ScheduleRules:
    """What validating a schedule needs to know about the other syncs.

    `sync_exists(id)` says whether a sync of the organization exists;
    `upstreams` maps each existing sync id to the sync ids it runs after.
    `sync_id` is the sync being updated (None when creating).
    """

    sync_exists: Callable[[str], bool]
    upstreams: Mapping[str, Sequence[str]]
    sync_id: str | None = None


def validate_schedule(schedule: Schedule, rules: ScheduleRules, path: str = "schedule") -> Schedule:
    """A normalized copy of `schedule`, or `ValidationFailed` naming the bad part.

    An empty schedule means `manual`. Cron parts are checked with croniter;
    `runafter` syncs must exist and must not run after this sync, directly
    or through others.
    """
    frequency = (schedule.frequency or "manual").strip()
    if frequency in _UNSUPPORTED:
        raise ValidationFailed(
            f"{path}.frequency: {_UNSUPPORTED[frequency]}", path=f"{path}.frequency"
        )
    if frequency not in FREQUENCIES:
        raise ValidationFailed(
            f"{path}.frequency: unknown frequency {frequency!r}; "
            f"use one of {', '.join(FREQUENCIES)}",
            path=f"{path}.frequency",
        )
    _check_keys(schedule, frequency, path)
    data = {
        key: value
        for key, value in schedule.model_dump(exclude_none=True).items()
        if key in KEYS[frequency]
    }
    data["frequency"] = frequency
    if frequency == "continuous":
        if schedule.model_extra and schedule.model_extra.get("interval_seconds") is not None:
            data["interval_seconds"] = _interval(
                schedule.model_extra["interval_seconds"], f"{path}.interval_seconds"
            )
    elif frequency == "hourly":
        data["minute"] = _number(schedule.minute, 0, 59, f"{path}.minute", default="0")
    elif frequency == "daily":
        data["hour"] = _number(schedule.hour, 0, 23, f"{path}.hour", default="0")
        data["minute"] = _number(schedule.minute, 0, 59, f"{path}.minute", default="0")
    elif frequency == "weekly":
        data["day_of_week"] = _weekday(schedule.day_of_week, f"{path}.day_of_week")
        data["hour"] = _number(schedule.hour, 0, 23, f"{path}.hour", default="0")
        data["minute"] = _number(schedule.minute, 0, 59, f"{path}.minute", default="0")
    elif frequency == "custom":
        data.update(_cron(schedule, path))
    elif frequency == "runafter":
        data["run_after"] = _run_after(schedule.run_after, rules, f"{path}.run_after").model_dump()
        data["run_after_success_only"] = bool(schedule.run_after_success_only)
    elif frequency == "multi":
        data["schedules"] = _multi(schedule, rules, path)
    return Schedule.model_validate(data)


def _check_keys(schedule: Schedule, frequency: str, path: str) -> None:
    """Refuse a key no schedule has, or a set key another frequency takes.

    Empty values (null, "", false, an empty object) of known keys are
    ignored, as clients send every key of the SDK's `Schedule`.
    """
    given = schedule.model_dump(exclude_none=True)
    for key, value in given.items():
        if key not in ALL_KEYS:
            raise ValidationFailed(
                f"{path}.{key}: unknown schedule key {key!r}; a {frequency} schedule takes "
                f"{', '.join(sorted(KEYS[frequency] - {'frequency'})) or 'no other key'}",
                path=f"{path}.{key}",
            )
        if key not in KEYS[frequency] and _is_set(value):
            raise ValidationFailed(
                f"{path}.{key}: a {frequency} schedule does not take {key!r}; it takes "
                f"{', '.join(sorted(KEYS[frequency] - {'frequency'})) or 'no other key'}",
                path=f"{path}.{key}",
            )


def _is_set(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_set(item) for item in value.values())
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value) or (value == 0 and not isinstance(value, bool))


def _interval(value: Any, path: str) -> int:
    # bool is an int subclass; true is not a number of seconds.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationFailed(
            f"{path}: expected a whole number of seconds, at least 1, got {value!r}", path=path
        )
    return value


def _number(value: str | None, low: int, high: int, path: str, *, default: str) -> str:
    text = (value or default).strip()
    # isdigit() also holds for digits int() does not read, such as superscripts.
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValidationFailed(
            f"{path}: expected a whole number from {low} to {high}, got {value!r}", path=path
        )
    return str(int(text))


def _weekday(value: str | None, path: str) -> str:
    text = (value or "").strip().lower()
    by_number = {str(i): day for i, day in enumerate(_WEEKDAYS)}
    by_prefix = {day[:3]: day for day in _WEEKDAYS}
    day = text if text in _WEEKDAYS else by_number.get(text) or by_prefix.get(text)
    if day is None:
        raise ValidationFailed(
            f"{path}: expected a day of the week ({', '.join(_WEEKDAYS)}), got {value!r}",
            path=path,
        )
    return day


def _cron(schedule: Schedule, path: str) -> dict[str, str]:
    given = {part: (getattr(schedule, part) or "").strip() for part in _CRON_PARTS}
    if not any(given.values()):
        raise ValidationFailed(
            f"{path}: a custom schedule needs a cron expression: give at least one of "
            f"{', '.join(_CRON_PARTS)} (the others are '*')",
            path=path,
        )
    parts = {part: text or "*" for part, text in given.items()}
    for part, text in parts.items():
        if not text or " " in text:
            raise ValidationFailed(
                f"{path}.{part}: a cron field is one word such as '*', '5', '*/15' or '1-5'",
                path=f"{path}.{part}",
            )
        probe = dict.fromkeys(_CRON_PARTS, "*")
        probe[part] = text
        if not croniter.is_valid(" ".join(probe[p] for p in _CRON_PARTS)):
            raise ValidationFailed(
                f"{path}.{part}: {text!r} is not a valid cron {part.replace('_', '-')} field",
                path=f"{path}.{part}",
            )
    expression = " ".join(parts[p] for p in _CRON_PARTS)
    if not _fires(expression):
        where = next((p for p in ("day_of_month", "month") if given[p]), None)
        raise ValidationFailed(
            f"{path}: the cron schedule {expression!r} never fires (no chosen month has "
            "the chosen day); choose a day every chosen month has",
            path=f"{path}.{where}" if where else path,
        )
    return parts


def _fires(expression: str) -> bool:
    """Whether a valid cron expression has a run within `MAX_YEARS_BETWEEN_RUNS`."""
    start = datetime.now(UTC)
    try:
        croniter(expression, start, max_years_between_matches=MAX_YEARS_BETWEEN_RUNS).get_next(
            datetime
        )
    except CroniterBadDateError:
        return False
    return True


def _run_after(run_after: RunAfter | None, rules: ScheduleRules, path: str) -> RunAfter:
    if run_after is None or not run_after.sync_ids:
        raise ValidationFailed(
            f"{path}.sync_ids: list at least one sync to run after", path=f"{path}.sync_ids"
        )
    if run_after.bulk_sync_ids:
        raise ValidationFailed(
            f"{path}.bulk_sync_ids: bulk syncs are not supported", path=f"{path}.bulk_sync_ids"
        )
    for index, upstream in enumerate(run_after.sync_ids):
        item = f"{path}.sync_ids[{index}]"
        if upstream == rules.sync_id:
            raise ValidationFailed(f"{item}: a sync cannot run after itself", path=item)
        if not rules.sync_exists(upstream):
            raise ValidationFailed(f"{item}: sync {upstream} not found", path=item)
        if rules.sync_id is not None and _reaches(upstream, rules.sync_id, rules.upstreams):
            raise ValidationFailed(
                f"{item}: sync {upstream} already runs after this sync; that would be a cycle",
                path=item,
            )
    return RunAfter(sync_ids=list(dict.fromkeys(run_after.sync_ids)), bulk_sync_ids=[])


def _reaches(start: str, goal: str, upstreams: Mapping[str, Sequence[str]]) -> bool:
    """Whether `start` runs after `goal`, directly or through other syncs."""
    seen: set[str] = set()
    pending = [start]
    while pending:
        current = pending.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(upstreams.get(current, ()))
    return False


def _multi(schedule: Schedule, rules: ScheduleRules, path: str) -> list[dict[str, Any]]:
    raw = (schedule.model_extra or {}).get("schedules")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(
            f"{path}.schedules: a multi schedule lists its schedules", path=f"{path}.schedules"
        )
    normalized = []
    for index, item in enumerate(raw):
        item_path = f"{path}.schedules[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{item_path}: expected a schedule object", path=item_path)
        try:
            inner = Schedule.model_validate(item)
        except PydanticValidationError as exc:
            raise validation_failed(
                [dict(e) for e in exc.errors()], prefix=(*path.split("."), "schedules", index)
            ) from None
        if (inner.frequency or "manual") == "multi":
            raise ValidationFailed(
                f"{item_path}.frequency: multi schedules cannot nest", path=f"{item_path}.frequency"
            )
        normalized.append(validate_schedule(inner, rules, item_path).model_dump(exclude_none=True))
    return normalized


def upstreams_of(schedule: Mapping[str, Any]) -> list[str]:
    """The sync ids a stored schedule runs after (also inside `multi`)."""
    found: list[str] = list((schedule.get("run_after") or {}).get("sync_ids") or [])
    for inner in schedule.get("schedules") or []:
        if isinstance(inner, dict):
            found.extend(upstreams_of(inner))
    return found
