"""An `http` sync's target configuration: a request per event, and how to read answers.

```json
{"insert": {"method": "POST", "path": "/contacts", "body": "{{ record | tojson }}",
            "batch": "none"},
 "update": {"method": "PATCH", "path": "/contacts/{{ remote_id }}",
            "body": "{{ record | pick(changed_fields) | tojson }}"},
 "delete": {"method": "DELETE", "path": "/contacts/{{ remote_id }}"},
 "remote_id_path": "$.id"}
```

Each mode uses some events (`delivery.records.event_of`): `create` and
`append` insert, `update` updates, `updateOrCreate` inserts and updates,
`remove` deletes. Every event has defaults, so a configuration names only
what differs (a key of an event given replaces that key only):

- insert: `POST` to the base URL, the record as JSON (`{{ record | tojson }}`);
- update: `PATCH` to `/{{ remote_id or identity }}`, the record as JSON;
- delete: `DELETE` to `/{{ remote_id or identity }}`, no body.

`batch` is `none` (a request per record), `json_array` (the bodies of up
to `batch_size` records as one JSON array) or `ndjson` (one body per line),
each request at most `batch_bytes` bytes. A batched path is one for all its
records, so it may use `sync` only.

`check_configuration` validates and normalizes it at save time: every
template must parse, and render to JSON against a sample record of the
mapped fields' types; every JSONPath must parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from syncline.connectors.delivery.policy import DEFAULT_RETRYABLE
from syncline.connectors.delivery.records import Event
from syncline.connectors.http.results import JsonPath, PathProblem, compile_path
from syncline.connectors.http.templates import (
    RECORD_VARIABLES,
    Template,
    TemplateProblem,
    compile_template,
    render_body,
    render_path,
    sample_record,
)
from syncline.connectors.vocabulary import FieldType
from syncline.errors import ValidationFailed, validation_failed

Batching = Literal["none", "json_array", "ndjson"]

DEFAULT_BATCH_SIZE = 100
DEFAULT_BATCH_BYTES = 1024 * 1024
CONTENT_TYPES: dict[str, str] = {
    "none": "application/json",
    "json_array": "application/json",
    "ndjson": "application/x-ndjson",
}

RECORD_BODY = "{{ record | tojson }}"
BY_ID = "/{{ remote_id or identity }}"
DEFAULTS: dict[Event, dict[str, Any]] = {
    Event.INSERT: {"method": "POST", "path": "", "body": RECORD_BODY},
    Event.UPDATE: {"method": "PATCH", "path": BY_ID, "body": RECORD_BODY},
    Event.DELETE: {"method": "DELETE", "path": BY_ID, "body": None},
}
"""Each event's request when the configuration does not say (see the module docstring)."""

SAMPLE_REMOTE_ID = "remote-id"
SAMPLE_IDENTITY = "identity"


class EventRequest(BaseModel):
    """The request of one event."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["POST", "PUT", "PATCH", "DELETE"]
    path: str = Field("", max_length=2000, description="URL path template, after base_url")
    body: str | None = Field(None, max_length=100_000, description="JSON body template")
    batch: Batching = "none"
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=10_000)
    batch_bytes: int = Field(DEFAULT_BATCH_BYTES, ge=1024, le=100 * 1024 * 1024)
    content_type: str = Field("", max_length=200)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class HttpTargetConfig(BaseModel):
    """An `http` sync's `target.configuration` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    insert: EventRequest
    update: EventRequest
    delete: EventRequest
    success_statuses: list[int] = Field(
        default_factory=list, description="statuses meaning success (empty: every 2xx)"
    )
    retryable_statuses: list[int] = Field(
        default_factory=lambda: list(DEFAULT_RETRYABLE),
        description="statuses retried besides every 5xx",
    )
    results_path: str = Field("", max_length=500)
    result_ok_path: str = Field("", max_length=500)
    result_error_path: str = Field("", max_length=500)
    remote_id_path: str = Field("", max_length=500)
    record_requests: bool = False

    @field_validator("success_statuses", "retryable_statuses")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        for status in value:
            if not 100 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP status")
        return sorted(set(value))

    def request(self, event: Event) -> EventRequest:
        """The request of `event`."""
        found: EventRequest = getattr(self, event.value)
        return found


@dataclass(frozen=True)
class EventTemplates:
    """The compiled templates of one event."""

    path: Template
    body: Template | None


@dataclass(frozen=True)
class Compiled:
    """A normalized configuration with its templates and JSONPaths compiled."""

    config: HttpTargetConfig
    templates: dict[Event, EventTemplates]
    results: JsonPath | None
    result_ok: JsonPath | None
    result_error: JsonPath | None
    remote_id: JsonPath | None

    @property
    def remembers_values(self) -> bool:
        """Whether a template needs what the API was last sent (`previous`, `changed_fields`)."""
        used: set[str] = set()
        for templates in self.templates.values():
            used |= templates.path.variables
            if templates.body is not None:
                used |= templates.body.variables
        return bool(used & {"previous", "changed_fields"})

    @property
    def reads_values(self) -> bool:
        """Whether a template reads a record's values other than as the whole record in
        JSON (the default body): else a body can be the record's `json_texts`."""
        for templates in self.templates.values():
            if templates.path.variables & _VALUE_VARIABLES:
                return True
            if templates.body is not None and not templates.body.whole_record:
                return True
        return False


_VALUE_VARIABLES = frozenset({"record", "identity", "previous", "changed_fields"})


def parse_configuration(configuration: Mapping[str, Any]) -> Compiled:
    """The configuration with defaults filled, validated and compiled (no rendering).

    Raises `ValidationFailed` with `path` inside it (`configuration.update.body`).
    """
    raw = dict(configuration)
    for event, defaults in DEFAULTS.items():
        given = raw.get(event.value)
        if given is None:
            raw[event.value] = dict(defaults)
        elif isinstance(given, Mapping):
            raw[event.value] = {**defaults, **given}
    try:
        config = HttpTargetConfig.model_validate(raw)
    except ValidationError as error:
        raise validation_failed(
            [dict(e) for e in error.errors()], prefix=("configuration",)
        ) from None
    templates = {event: _compile_event(config, event) for event in Event}
    paths = {
        name: _path(config, name)
        for name in ("results_path", "result_ok_path", "result_error_path", "remote_id_path")
    }
    _check_combinations(config)
    return Compiled(
        config,
        templates,
        paths["results_path"],
        paths["result_ok_path"],
        paths["result_error_path"],
        paths["remote_id_path"],
    )


def check_configuration(
    configuration: Mapping[str, Any], fields: Mapping[str, FieldType]
) -> dict[str, Any]:
    """`parse_configuration`, and every template rendered against a sample record of
    `fields` (target name to type): the normalized configuration to store.

    Raises `ValidationFailed` at the template that does not render or renders what
    is not JSON.
    """
    compiled = parse_configuration(configuration)
    record = sample_record(fields)
    for event, templates in compiled.templates.items():
        known = event is not Event.INSERT
        context = {
            "record": record,
            "changed_fields": list(record),
            "previous": dict(record) if known else None,
            "remote_id": SAMPLE_REMOTE_ID if known else None,
            "identity": SAMPLE_IDENTITY,
            "sync": {"id": "sync-id", "name": "sync name"},
        }
        try:
            render_path(templates.path, context)
        except TemplateProblem as problem:
            raise _problem(event, "path", problem, record) from None
        if templates.body is not None:
            try:
                render_body(templates.body, context)
            except TemplateProblem as problem:
                raise _problem(event, "body", problem, record) from None
    normalized = compiled.config.model_dump(mode="json")
    for event in Event:
        request = normalized[event.value]
        request["content_type"] = request["content_type"] or CONTENT_TYPES[request["batch"]]
    return normalized


def _compile_event(config: HttpTargetConfig, event: Event) -> EventTemplates:
    request = config.request(event)
    where = f"configuration.{event.value}"
    try:
        path = compile_template(request.path, path=True)
    except TemplateProblem as problem:
        raise ValidationFailed(f"{where}.path: {problem.message}", path=f"{where}.path") from None
    body = None
    if request.body is not None:
        try:
            body = compile_template(request.body, path=False)
        except TemplateProblem as problem:
            raise ValidationFailed(
                f"{where}.body: {problem.message}", path=f"{where}.body"
            ) from None
    elif event is not Event.DELETE:
        raise ValidationFailed(
            f"{where}.body: an {event.value} sends the record, so it needs a body template",
            path=f"{where}.body",
        )
    if request.batch != "none":
        if body is None:
            raise ValidationFailed(
                f"{where}.batch: records are batched by their bodies; "
                f"set {where}.body or batch none",
                path=f"{where}.batch",
            )
        if path.variables & RECORD_VARIABLES:
            used = ", ".join(sorted(path.variables & RECORD_VARIABLES))
            raise ValidationFailed(
                f"{where}.path: a batched request has one path for all its records, so it "
                f"may use sync only, not {used}",
                path=f"{where}.path",
            )
    return EventTemplates(path, body)


def _path(config: HttpTargetConfig, name: str) -> JsonPath | None:
    text: str = getattr(config, name)
    if not text:
        return None
    try:
        return compile_path(text)
    except PathProblem as problem:
        raise ValidationFailed(
            f"configuration.{name}: {problem.message}", path=f"configuration.{name}"
        ) from None


def _check_combinations(config: HttpTargetConfig) -> None:
    for name in ("result_ok_path", "result_error_path"):
        if getattr(config, name) and not config.results_path:
            raise ValidationFailed(
                f"configuration.{name}: it is read within each per-record result; "
                "set configuration.results_path too",
                path=f"configuration.{name}",
            )
    batched = [event.value for event in Event if config.request(event).batch != "none"]
    if config.remote_id_path and batched and not config.results_path:
        raise ValidationFailed(
            f"configuration.remote_id_path: {batched[0]} is batched, so each record's id "
            "must be read from its own result; set configuration.results_path too",
            path="configuration.remote_id_path",
        )
    both = sorted(set(config.success_statuses) & set(config.retryable_statuses))
    if both:
        raise ValidationFailed(
            f"configuration.retryable_statuses: {both[0]} is also a success status",
            path="configuration.retryable_statuses",
        )


def _problem(
    event: Event, part: str, problem: TemplateProblem, record: Mapping[str, Any]
) -> ValidationFailed:
    where = f"configuration.{event.value}.{part}"
    message = f"{where}: against a sample record, {problem.message}"
    if "'None'" in problem.message and event is Event.INSERT:
        message += (
            "; an insert is of a record never sent, so its previous and remote_id are None"
            " (`previous.email if previous`)"
        )
    elif "'dict object' has no attribute" in problem.message:
        message += f"; the record's fields are {', '.join(sorted(record)) or 'none'}"
    return ValidationFailed(message, path=where)
