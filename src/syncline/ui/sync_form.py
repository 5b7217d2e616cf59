"""The new-sync form: what a person chose so far, and the API body it makes.

The form is one page whose sections open as choices are made (model and
target connection, then the target object, then mode, identity, mappings,
filters and schedule). Its fields travel by GET between steps and by POST
to create; `Draft.parse` reads them back, `Draft.body` makes the
`POST /api/syncs` body, and `Draft.control_of` finds the control an API
error path (`fields[2].target`) belongs to, so a 422 shows next to it.

The schedule controls are shared with a sync's own page, which edits them:
`ScheduleForm` reads and fills them (`schedule_fields.html` shows them) and
`schedule_control` places a `schedule.*` error path on one of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from syncline.services.syncs.schedule import SCHEDULE_OPTIONS
from syncline.services.syncs.suggest import Suggestion

NEW_OBJECT = "__new__"
FILTER_ROWS = 3
OVERRIDE_ROWS = 2
SCHEDULE_KEYS = ("minute", "hour", "day_of_week", "day_of_month", "month")
MAX_MAPPING_ROWS = 500

FREQUENCY_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (option.frequency, option.label) for option in SCHEDULE_OPTIONS
)
"""The frequency select's options: every frequency the API offers, as (value, label)."""

_FIELDS_PATH = re.compile(r"^fields\[(\d+)\]")
_FILTER_PATH = re.compile(r"^model_filters\.conditions\[(\d+)\](?:\.(\w+))?")
_OVERRIDE_PATH = re.compile(r"^overrides\[(\d+)\](?:\.(\w+))?")


def _text(values: Mapping[str, Any], name: str, limit: int) -> str:
    value = values.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@dataclass
class ScheduleForm:
    """The schedule controls: a frequency and the values typed for `SCHEDULE_KEYS`.

    The frequency select offers every frequency (`FREQUENCY_CHOICES`); the
    controls are the cron-like fields, of which `body` sends only those the
    chosen frequency takes. Keys no control shows (`run_after`, `schedules`,
    `interval_seconds`) are kept from the stored schedule while its frequency
    is kept, so saving an unchanged form never loses them.
    """

    frequency: str = "manual"
    values: dict[str, str] = field(default_factory=dict)
    """Non-empty control values by key (`hour`: "6"), as typed."""

    choices: ClassVar[tuple[tuple[str, str], ...]] = FREQUENCY_CHOICES
    keys: ClassVar[tuple[str, ...]] = SCHEDULE_KEYS

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> ScheduleForm:
        """The controls' values in a posted or queried form (missing: manual, none)."""
        return cls(
            frequency=_text(values, "frequency", 32) or "manual",
            values={key: text for key in SCHEDULE_KEYS if (text := _text(values, key, 64))},
        )

    @classmethod
    def of(cls, schedule: Mapping[str, Any]) -> ScheduleForm:
        """The controls filled from a stored schedule (its JSON form)."""
        return cls(
            frequency=str(schedule.get("frequency") or "manual"),
            values={
                key: str(value)
                for key in SCHEDULE_KEYS
                if (value := schedule.get(key)) is not None and str(value) != ""
            },
        )

    def body(self, stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The API's `schedule` object: the frequency and the values it takes; with
        the `stored` schedule of the same frequency, also its keys no control shows."""
        kept: dict[str, Any] = {}
        if stored is not None and (stored.get("frequency") or "manual") == self.frequency:
            kept = {
                key: value
                for key, value in stored.items()
                if key not in SCHEDULE_KEYS and key != "frequency"
            }
        return {**kept, "frequency": self.frequency, **self._values()}

    def _values(self) -> dict[str, str]:
        option = next((o for o in SCHEDULE_OPTIONS if o.frequency == self.frequency), None)
        if option is None:
            return {}
        keys = option.configuration.get("properties", {})
        return {key: value for key, value in self.values.items() if key in keys}


def schedule_control(path: str) -> str:
    """The schedule control an API error `path` (`schedule.hour`) is about: its key, or
    `frequency` for the schedule as a whole; "" for a path outside the schedule."""
    if path != "schedule" and not path.startswith(("schedule.", "schedule[")):
        return ""
    key = path.split(".", 1)[1] if "." in path else "frequency"
    return key if key in SCHEDULE_KEYS else "frequency"


@dataclass
class MappingRow:
    """One model field and the target field it goes to ("" for none)."""

    source: str
    target: str
    warning: str = ""


@dataclass
class FilterRow:
    """One condition on model rows (unused while `field` is empty)."""

    field: str = ""
    function: str = "Equality"
    value: str = ""


@dataclass
class OverrideRow:
    """A value of a model field replaced before it is written (unused while `field`
    is empty): always, or where `function` holds against `value`."""

    field: str = ""
    function: str = ""
    value: str = ""
    override: str = ""


@dataclass
class Draft:
    """The choices of the new-sync form."""

    name: str = ""
    model_id: str = ""
    connection_id: str = ""
    object_id: str = ""
    create: dict[str, str] = field(default_factory=dict)
    """The inputs of a new target object (`target.create`), by property id."""
    mode: str = ""
    identity_source: str = ""
    identity_target: str = ""
    active: bool = True
    schedule: ScheduleForm = field(default_factory=ScheduleForm)
    rows: list[MappingRow] = field(default_factory=list)
    filters: list[FilterRow] = field(default_factory=list)
    overrides: list[OverrideRow] = field(default_factory=list)
    mapped_for: str = ""
    """The target object the mapping rows were made for: a new object re-suggests them."""

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Draft:
        """The draft the form's fields describe (missing fields take their defaults)."""

        def text(name: str, limit: int = 1000) -> str:
            return _text(values, name, limit)

        draft = cls(
            name=text("name", 255),
            model_id=text("model", 64),
            connection_id=text("connection", 64),
            object_id=text("object"),
            create={
                key[len("create-") :]: text(key, 255)
                for key in values
                if isinstance(key, str) and key.startswith("create-") and text(key, 255)
            },
            mode=text("mode", 64),
            identity_source=text("identity_source"),
            identity_target=text("identity_target"),
            # An unchecked box sends nothing: it counts only once the box was on the page.
            active=text("active") == "on" or not text("active_shown"),
            schedule=ScheduleForm.parse(values),
            mapped_for=text("mapped_for"),
        )
        for index in range(MAX_MAPPING_ROWS):
            source = text(f"map-{index}-source")
            if not source:
                break
            draft.rows.append(MappingRow(source, text(f"map-{index}-target")))
        for index in range(FILTER_ROWS):
            draft.filters.append(
                FilterRow(
                    text(f"filter-{index}-field"),
                    text(f"filter-{index}-function", 64) or "Equality",
                    text(f"filter-{index}-value"),
                )
            )
        for index in range(OVERRIDE_ROWS):
            draft.overrides.append(
                OverrideRow(
                    text(f"override-{index}-field"),
                    text(f"override-{index}-function", 64),
                    text(f"override-{index}-value"),
                    text(f"override-{index}-override"),
                )
            )
        return draft

    @property
    def is_new_object(self) -> bool:
        return self.object_id == NEW_OBJECT

    @property
    def target_chosen(self) -> bool:
        """Whether the sections after the target object are open."""
        return bool(self.model_id and self.connection_id and self.object_id)

    def suggest(self, suggestions: list[Suggestion]) -> None:
        """Take the suggested mappings, unless the rows were made for this object already;
        each row then carries its suggestion's warning."""
        warnings = {s.source.name: s.warning for s in suggestions}
        if self.mapped_for != self.object_id or not self.rows:
            # A new object has no fields yet: each model field makes one of its name.
            self.rows = [
                MappingRow(
                    s.source.name,
                    s.target.id if s.target else (s.source.name if self.is_new_object else ""),
                )
                for s in suggestions
            ]
            self.mapped_for = self.object_id
        for row in self.rows:
            suggested = next((s for s in suggestions if s.source.name == row.source), None)
            if suggested is not None and suggested.target and suggested.target.id == row.target:
                row.warning = warnings.get(row.source, "")

    def body(self) -> dict[str, Any]:
        """The `POST /api/syncs` body of these choices."""

        def source(name: str) -> dict[str, str]:
            return {"model_id": self.model_id, "field": name}

        target: dict[str, Any] = {"connection_id": self.connection_id}
        if self.is_new_object:
            target["create"] = dict(self.create)
        else:
            target["object"] = self.object_id
        body: dict[str, Any] = {
            "name": self.name,
            "mode": self.mode,
            "active": self.active,
            "target": target,
            "fields": [
                {"source": source(row.source), "target": row.target}
                | ({"new": True} if self.is_new_object else {})
                for row in self.rows
                if row.target
            ],
            "schedule": self.schedule.body(),
        }
        if self.identity_source or self.identity_target:
            body["identities"] = {
                "mappings": [
                    {
                        "source": source(self.identity_source),
                        "target": self.identity_target,
                        "function": "Equality",
                    }
                ]
            }
        conditions = [
            {"source": source(row.field), "function": row.function, "value": row.value or None}
            for row in self.filters
            if row.field
        ]
        if conditions:
            body["model_filters"] = {"conditions": conditions, "logic": None}
        overrides = [
            {
                "field": source(row.field),
                "function": row.function or None,
                "value": (row.value or None) if row.function else None,
                "override": row.override,
            }
            for row in self.overrides
            if row.field
        ]
        if overrides:
            body["overrides"] = overrides
        return body

    def control_of(self, path: str) -> str:
        """The name of the control an API error `path` is about ("" for the whole form)."""
        mapped = [index for index, row in enumerate(self.rows) if row.target]
        if found := _FIELDS_PATH.match(path):
            position = int(found.group(1))
            return f"map-{mapped[position]}-target" if position < len(mapped) else ""
        if found := _FILTER_PATH.match(path):
            used = [index for index, row in enumerate(self.filters) if row.field]
            position = int(found.group(1))
            if position >= len(used):
                return ""
            part = found.group(2) or "field"
            part = {"source": "field", "function": "function"}.get(part, "value")
            return f"filter-{used[position]}-{part}"
        if found := _OVERRIDE_PATH.match(path):
            used = [index for index, row in enumerate(self.overrides) if row.field]
            position = int(found.group(1))
            if position >= len(used):
                return ""
            part = found.group(2) or "field"
            part = part if part in ("function", "value", "override") else "field"
            return f"override-{used[position]}-{part}"
        if path.startswith(("identities", "identity")):
            return "identity_source" if ".source" in path else "identity_target"
        if path.startswith("target"):
            if path.startswith("target.create."):
                return "create-" + path[len("target.create.") :].split(".")[0]
            if "new_name" in path:
                return "create-name"
            return "connection" if "connection_id" in path else "object"
        if control := schedule_control(path):
            return control
        if path in ("name", "mode"):
            return path
        return ""

    def controls(self, errors: Mapping[str, str]) -> dict[str, str]:
        """`errors` (by API path) keyed by control name; the rest under ""."""
        found: dict[str, str] = {}
        for path, message in errors.items():
            found.setdefault(self.control_of(path), message)
        return found
