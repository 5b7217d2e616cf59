"""Sync validation through the API: impossible syncs are refused at create and update.

The rules are covered one by one in tests/unit/test_sync_validation*.py; here
each kind of rule is shown end to end, with the rules that need the store or
a live target (target resolution, schedules, run-after cycles).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.sync_fixtures import SyncSetup

# What these tests check is decided before the metadata store (validation against the
# model and the target), so they run on one metadata backend.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _refused(setup: SyncSetup, path: str, status: int = 422, **changes: Any) -> str:
    response = setup.create(**changes)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["metadata"].get("path") == path, body
    message: str = body["message"]
    assert message
    return message


def test_unknown_target_connection(setup: SyncSetup) -> None:
    target = {"connection_id": "00000000-0000-0000-0000-000000000000", "object": setup.target}
    assert "not found" in _refused(setup, "target.connection_id", target=target)


def test_unknown_target_object(setup: SyncSetup) -> None:
    target = {"connection_id": setup.connection_id, "object": f"{setup.schema}.nope"}
    assert "nope" in _refused(setup, "target.object", target=target)


def test_neither_object_nor_creation(setup: SyncSetup) -> None:
    _refused(setup, "target.object", target={"connection_id": setup.connection_id})


def test_new_table_that_already_exists(setup: SyncSetup) -> None:
    target = {
        "connection_id": setup.connection_id,
        "create": {"schema": setup.schema},
        "new_name": "contacts",
    }
    assert "exists" in _refused(setup, "target.new_name", target=target)


def test_unsupported_mode(setup: SyncSetup) -> None:
    assert "updateOrCreate" in _refused(setup, "mode", mode="upsert")


def test_missing_identity_for_a_mode_that_needs_one(setup: SyncSetup) -> None:
    _refused(setup, "identities", identities=None)


def test_identity_on_a_field_that_cannot_match(setup: SyncSetup) -> None:
    identities = {
        "mappings": [{"source": setup.source("id"), "target": "id", "function": "DomainMatch"}]
    }
    _refused(setup, "identities.mappings[0].function", identities=identities)


def test_unknown_source_field(setup: SyncSetup) -> None:
    fields = [{"source": setup.source("emial"), "target": "email"}]
    assert "emial" in _refused(setup, "fields[0].source.field", fields=fields)


def test_unknown_target_field(setup: SyncSetup) -> None:
    fields = [{"source": setup.source("email"), "target": "e_mail"}]
    assert "e_mail" in _refused(setup, "fields[0].target", fields=fields)


def test_generated_target_column_is_not_writable(setup: SyncSetup) -> None:
    fields = [{"source": setup.source("email"), "target": "email_domain"}]
    _refused(setup, "fields[0].target", fields=fields)


def test_target_field_mapped_twice(setup: SyncSetup) -> None:
    fields = [
        {"source": setup.source("email"), "target": "email"},
        {"source": setup.source("name"), "target": "email"},
    ]
    _refused(setup, "fields[1].target", fields=fields)


def test_model_filter_function_must_suit_the_type(setup: SyncSetup) -> None:
    filters = {
        "conditions": [{"source": setup.source("mrr"), "function": "StringContains", "value": "x"}]
    }
    _refused(setup, "model_filters.conditions[0].function", model_filters=filters)


@pytest.mark.parametrize(
    ("function", "value"),
    [("IsNull", "x"), ("StringOneOf", "pro"), ("Between", [1]), ("InTheLast", "soon")],
)
def test_filter_value_shape(setup: SyncSetup, function: str, value: Any) -> None:
    field = {"Between": "mrr", "InTheLast": "signed_up"}.get(function, "plan")
    filters = {
        "conditions": [{"source": setup.source(field), "function": function, "value": value}]
    }
    _refused(setup, "model_filters.conditions[0].value", model_filters=filters)


def test_filter_logic_must_reference_every_label(setup: SyncSetup) -> None:
    filters = {
        "conditions": [
            {"source": setup.source("plan"), "function": "Equality", "value": "pro"},
            {"source": setup.source("active"), "function": "True"},
        ],
        "logic": "A",
    }
    _refused(setup, "model_filters.logic", model_filters=filters)


def test_filter_logic_must_parse(setup: SyncSetup) -> None:
    filters = {
        "conditions": [{"source": setup.source("plan"), "function": "Equality", "value": "pro"}],
        "logic": "(A and",
    }
    _refused(setup, "model_filters.logic", model_filters=filters)


def test_target_filters_only_where_the_mode_supports_them(setup: SyncSetup) -> None:
    filters = {"conditions": [{"field": "plan", "function": "IsNotNull"}]}
    _refused(setup, "target_filters", target_filters=filters)


def test_override_field_needs_a_value(setup: SyncSetup) -> None:
    _refused(setup, "override_fields[0].override_value", override_fields=[{"target": "plan"}])


def test_unknown_schedule_frequency(setup: SyncSetup) -> None:
    assert "hourly" in _refused(setup, "schedule.frequency", schedule={"frequency": "sometimes"})


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"frequency": "daily", "hour": "25", "minute": "0"}, "schedule.hour"),
        ({"frequency": "hourly", "minute": "60"}, "schedule.minute"),
        ({"frequency": "weekly", "day_of_week": "someday"}, "schedule.day_of_week"),
        ({"frequency": "custom", "minute": "61"}, "schedule.minute"),
        ({"frequency": "custom", "hour": "9 17"}, "schedule.hour"),
        ({"frequency": "custom", "day_of_week": "funday"}, "schedule.day_of_week"),
        ({"frequency": "runafter"}, "schedule.run_after.sync_ids"),
        ({"frequency": "multi"}, "schedule.schedules"),
        (
            {"frequency": "multi", "schedules": [{"frequency": "daily", "hour": "99"}]},
            "schedule.schedules[0].hour",
        ),
    ],
)
def test_invalid_schedule_parts(setup: SyncSetup, schedule: dict[str, Any], path: str) -> None:
    _refused(setup, path, schedule=schedule)


def test_valid_schedules_are_normalized(setup: SyncSetup) -> None:
    weekly = setup.create(schedule={"frequency": "weekly", "day_of_week": "Mon", "hour": "9"})
    assert weekly.status_code == 200, weekly.text
    assert weekly.json()["data"]["schedule"] == {
        "frequency": "weekly",
        "day_of_week": "monday",
        "hour": "9",
        "minute": "0",
    }
    custom = setup.create(schedule={"frequency": "custom", "minute": "*/15", "day_of_week": "1-5"})
    assert custom.status_code == 200, custom.text
    assert custom.json()["data"]["schedule"]["hour"] == "*"


def test_run_after_needs_existing_syncs(setup: SyncSetup) -> None:
    schedule = {
        "frequency": "runafter",
        "run_after": {"sync_ids": ["00000000-0000-0000-0000-000000000000"]},
    }
    _refused(setup, "schedule.run_after.sync_ids[0]", schedule=schedule)


def test_run_after_cycles_are_refused(setup: SyncSetup) -> None:
    first = setup.create(name="first").json()["data"]
    second = setup.create(
        name="second",
        schedule={"frequency": "runafter", "run_after": {"sync_ids": [first["id"]]}},
    ).json()["data"]
    third = setup.create(
        name="third",
        schedule={"frequency": "runafter", "run_after": {"sync_ids": [second["id"]]}},
    ).json()["data"]
    cycle = setup.org.client.put(
        f"/api/syncs/{first['id']}",
        json=setup.body(
            name="first",
            schedule={"frequency": "runafter", "run_after": {"sync_ids": [third["id"]]}},
        ),
    )
    assert cycle.status_code == 422
    assert cycle.json()["metadata"]["path"] == "schedule.run_after.sync_ids[0]"
    assert "cycle" in cycle.json()["message"]
    itself = setup.org.client.put(
        f"/api/syncs/{first['id']}",
        json=setup.body(
            schedule={"frequency": "runafter", "run_after": {"sync_ids": [first["id"]]}}
        ),
    )
    assert itself.status_code == 422


def test_missing_required_keys_are_named(setup: SyncSetup) -> None:
    body = setup.body()
    del body["target"]
    response = setup.org.client.post("/api/syncs", json=body)
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "target"
