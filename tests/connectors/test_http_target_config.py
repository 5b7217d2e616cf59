"""An `http` sync's target configuration, checked at save time: defaults, templates, JSONPaths."""

from __future__ import annotations

from typing import Any

import pytest

from syncline.connectors.http import HttpConfig, HttpConnector
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.errors import ObjectNotFound, ValidationFailed

FIELDS = {
    "id": FieldType.NUMBER,
    "email": FieldType.STRING,
    "active": FieldType.BOOLEAN,
    "seen_at": FieldType.DATETIME,
    "tags": FieldType.ARRAY,
    "profile": FieldType.OBJECT,
}


def checked(configuration: dict[str, Any], fields: dict[str, FieldType] = FIELDS) -> Any:
    target = HttpConnector(HttpConfig(base_url="https://api.example.com/v1"))
    return target.check_target_configuration("http", configuration, fields)


def refused(configuration: dict[str, Any], fields: dict[str, FieldType] = FIELDS) -> Any:
    with pytest.raises(ValidationFailed) as caught:
        checked(configuration, fields)
    return caught.value


def test_an_empty_configuration_gets_every_events_defaults() -> None:
    stored = checked({})

    assert stored["insert"] == {
        "method": "POST",
        "path": "",
        "body": "{{ record | tojson }}",
        "batch": "none",
        "batch_size": 100,
        "batch_bytes": 1048576,
        "content_type": "application/json",
    }
    assert stored["update"]["method"] == "PATCH"
    assert stored["update"]["path"] == "/{{ remote_id or identity }}"
    assert stored["delete"]["method"] == "DELETE"
    assert stored["delete"]["body"] is None
    assert stored["retryable_statuses"] == [408, 429]
    assert stored["success_statuses"] == []
    assert stored["record_requests"] is False


def test_a_key_given_replaces_only_that_key_of_an_events_defaults() -> None:
    stored = checked({"update": {"method": "put", "batch": "ndjson", "path": "/bulk"}})

    assert stored["update"]["method"] == "PUT"
    assert stored["update"]["body"] == "{{ record | tojson }}"
    assert stored["update"]["content_type"] == "application/x-ndjson"


def test_the_stored_configuration_checks_again_unchanged() -> None:
    stored = checked({"insert": {"path": "/contacts"}, "remote_id_path": "$.id"})

    assert checked(stored) == stored


@pytest.mark.parametrize(
    ("configuration", "path", "words"),
    [
        ({"update": {"body": '{"a": {{ record.email | tojson }'}}, "update.body", "line 1"),
        ({"update": {"body": "{{ record.emial | tojson }}"}}, "update.body", "emial"),
        ({"insert": {"body": '{"email": {{ record.email }}}'}}, "insert.body", "not JSON"),
        ({"insert": {"body": "{{ previous.email | tojson }}"}}, "insert.body", "previous"),
        ({"delete": {"path": "/{{ recrod.id }}"}}, "delete.path", "unknown variable 'recrod'"),
        ({"insert": {"path": "https://elsewhere.example.com/"}}, "insert.path", "not a path"),
        ({"insert": {"body": "{{ record.__class__ }}"}}, "insert.body", "unsafe"),
        ({"insert": {"body": '{{ ("x" * 10**9) | tojson }}'}}, "insert.body", "repetition"),
        ({"insert": {"body": "{{ 7 ** 100000 }}"}}, "insert.body", "exponent"),
        ({"update": {"body": None}}, "update.body", "needs a body"),
        ({"insert": {"batch": "ndjson", "path": "/{{ record.id }}"}}, "insert.path", "sync only"),
        ({"insert": {"method": "GET"}}, "insert.method", ""),
        ({"insert": {"batch_size": 0}}, "insert.batch_size", ""),
        ({"results_path": "$.["}, "results_path", "not a JSONPath"),
        ({"result_error_path": "$.error"}, "result_error_path", "results_path"),
        (
            {"insert": {"batch": "json_array"}, "remote_id_path": "$.id"},
            "remote_id_path",
            "results_path",
        ),
        ({"retryable_statuses": [429, 1000]}, "retryable_statuses", "not an HTTP status"),
        ({"success_statuses": [200, 409], "retryable_statuses": [409]}, "retryable_statuses", ""),
        ({"unknown": True}, "unknown", "unknown field"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_at_its_key(
    configuration: dict[str, Any], path: str, words: str
) -> None:
    error = refused(configuration)

    assert error.path == f"configuration.{path}"
    assert error.message.startswith(f"configuration.{path}")
    assert words in error.message


def test_a_template_is_tried_on_values_of_each_fields_type() -> None:
    body = (
        '{"email": {{ record.email | lower | tojson }}, "n": {{ record.id + 1 }},'
        ' "tags": {{ record.tags | join(",") | tojson }},'
        ' "city": {{ record.profile.key | tojson }},'
        ' "on": {{ "true" if record.active else "false" }},'
        ' "day": {{ record.seen_at[:10] | tojson }}}'
    )

    stored = checked({"insert": {"body": body}})

    assert stored["insert"]["body"] == body


def test_a_field_the_sync_does_not_map_is_named_with_the_fields_it_does() -> None:
    error = refused(
        {"insert": {"body": "{{ record.phone | tojson }}"}},
        {"email": FieldType.STRING, "id": FieldType.NUMBER},
    )

    assert error.path == "configuration.insert.body"
    assert "the record's fields are email, id" in error.message


def test_update_and_delete_templates_may_use_the_remote_id() -> None:
    stored = checked(
        {
            "update": {"path": "/contacts/{{ remote_id }}", "body": "{{ previous | tojson }}"},
            "delete": {"path": "/contacts/{{ remote_id }}"},
        }
    )

    assert stored["update"]["path"] == "/contacts/{{ remote_id }}"


def test_the_target_has_one_object_with_every_mode_and_open_fields() -> None:
    target = HttpConnector(HttpConfig(base_url="https://api.example.com"))

    objects = target.target_objects()
    described = target.describe_target("http")

    assert [(o.id, o.name) for o in objects] == [("http", "HTTP API")]
    modes = {m.mode: m.requires_identity for m in objects[0].modes}
    assert modes == {
        SyncMode.CREATE: True,
        SyncMode.UPDATE: True,
        SyncMode.UPDATE_OR_CREATE: True,
        SyncMode.REMOVE: True,
        SyncMode.APPEND: False,
    }
    assert described.fields == []
    assert described.properties.open_fields
    assert described.properties.supports_field_creation
    with pytest.raises(ObjectNotFound):
        target.describe_target("contacts")
