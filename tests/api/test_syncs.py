"""The model syncs API: create, read, update, delete, activate and error handling."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Org
from tests.api.sync_fixtures import SyncSetup, make_setup

PAGED = {"X-Polytomic-Version": "2025-09-18"}
"""The version whose `GET /api/syncs` answers pages of list items."""


def _error(response: Any, status: int, path: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["metadata"].get("path") == path, body
    message: str = body["message"]
    return message


def test_create_returns_both_shapes(setup: SyncSetup) -> None:
    response = setup.create()
    assert response.status_code == 200, response.text
    sync = response.json()["data"]
    assert sync["mode"] == "updateOrCreate"
    assert sync["model_ids"] == [setup.model_id]
    assert sync["target"]["object"] == setup.target
    assert sync["identities"]["strategy"] == "priority"
    assert sync["identity"]["target"] == "id"
    assert sync["identity"]["function"] == "Equality"
    assert sync["active"] is False
    assert sync["problems"] == []
    assert sync["filters"] == []
    assert sync["schedule"]["frequency"] == "manual"


def test_get_and_list_return_the_sync(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    fetched = setup.org.client.get(f"/api/syncs/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == created
    listed = setup.org.client.get("/api/syncs", headers=PAGED).json()
    assert [s["id"] for s in listed["data"]] == [created["id"]]
    item = listed["data"][0]
    assert item["target_connection_id"] == setup.connection_id
    assert item["target_object"] == setup.target
    assert item["model_ids"] == [setup.model_id]
    assert listed["pagination"]["next_page_token"] is None


TS_SYNC_KEYS = {
    "active", "created_at", "created_by", "encryption_passphrase", "fields", "filter_logic",
    "filters", "id", "identity", "mode", "model_ids", "name", "only_enrich_updates",
    "organization_id", "override_fields", "overrides", "policies", "schedule",
    "skip_initial_backfill", "sync_all_records", "target", "updated_at", "updated_by",
}  # fmt: skip
"""`ModelSyncResponse` as the TypeScript SDK (npm `polytomic` 1.18.1) declares it."""


def test_list_before_2025_09_18_answers_every_sync_in_full(setup: SyncSetup) -> None:
    first, second, third = (setup.create(name=f"s{i}").json()["data"] for i in range(3))
    append = setup.create(mode="append", identities=None, name="append").json()["data"]
    for version in (None, "2024-02-08", "2023-04-25", "2021-05-23"):
        headers = {"X-Polytomic-Version": version} if version else {}
        # `limit` and `page_token` are not part of these versions: they change nothing.
        response = setup.org.client.get("/api/syncs", params={"limit": 1}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["X-Polytomic-Version"] == (version or "2024-02-08")
        body = response.json()
        assert set(body) == {"data"}
        assert [s["id"] for s in body["data"]] == [
            append["id"], third["id"], second["id"], first["id"]
        ]  # fmt: skip
        for listed in body["data"]:
            assert set(listed) >= TS_SYNC_KEYS
            assert listed == setup.org.client.get(f"/api/syncs/{listed['id']}").json()["data"]
    by_mode = setup.org.client.get("/api/syncs", params={"mode": "append"}).json()["data"]
    assert [s["id"] for s in by_mode] == [append["id"]]


def test_update_is_a_full_replacement(setup: SyncSetup) -> None:
    created = setup.create(
        model_filters={
            "conditions": [{"source": setup.source("plan"), "function": "Equality", "value": "pro"}]
        },
        sync_all_records=True,
    ).json()["data"]
    assert created["model_filters"]["conditions"][0]["label"] == "A"
    replaced = setup.org.client.put(f"/api/syncs/{created['id']}", json=setup.body(name="renamed"))
    assert replaced.status_code == 200, replaced.text
    sync = replaced.json()["data"]
    assert sync["name"] == "renamed"
    assert sync["model_filters"]["conditions"] == []
    assert sync["sync_all_records"] is False
    assert sync["updated_at"] >= created["updated_at"]


def test_delete_removes_the_sync(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    assert setup.org.client.delete(f"/api/syncs/{created['id']}").status_code == 200
    assert setup.org.client.get(f"/api/syncs/{created['id']}").status_code == 404
    assert setup.org.client.delete(f"/api/syncs/{created['id']}").status_code == 404


def test_activate_switches_the_sync(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    on = setup.org.client.post(f"/api/syncs/{created['id']}/activate", json={"active": True})
    assert on.status_code == 200
    assert on.json()["data"] == {"id": created["id"], "active": True}
    assert setup.org.client.get(f"/api/syncs/{created['id']}").json()["data"]["active"] is True
    listed = setup.org.client.get("/api/syncs", params={"active": "true"}, headers=PAGED).json()[
        "data"
    ]
    assert [s["id"] for s in listed] == [created["id"]]


def test_activate_needs_the_flag(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    response = setup.org.client.post(f"/api/syncs/{created['id']}/activate", json={})
    _error(response, 422, "active")


def test_list_filters_by_mode_and_target_connection(setup: SyncSetup) -> None:
    upsert = setup.create().json()["data"]
    append = setup.create(mode="append", identities=None, name="append").json()["data"]
    by_mode = setup.org.client.get("/api/syncs", params={"mode": "append"}, headers=PAGED).json()[
        "data"
    ]
    assert [s["id"] for s in by_mode] == [append["id"]]
    by_target = setup.org.client.get(
        "/api/syncs", params={"target_connection_id": setup.connection_id}, headers=PAGED
    ).json()["data"]
    assert {s["id"] for s in by_target} == {upsert["id"], append["id"]}
    nothing = setup.org.client.get(
        "/api/syncs",
        params={"target_connection_id": "00000000-0000-0000-0000-000000000000"},
        headers=PAGED,
    ).json()["data"]
    assert nothing == []


def test_list_refuses_an_unknown_mode_filter(setup: SyncSetup) -> None:
    _error(
        setup.org.client.get("/api/syncs", params={"mode": "upsert"}, headers=PAGED), 400, "mode"
    )


def test_schedules_lists_every_frequency_with_a_form(org: Org) -> None:
    response = org.client.get("/api/syncs/schedules")
    assert response.status_code == 200
    options = {o["frequency"]: o for o in response.json()["data"]["schedule_options"]}
    assert set(options) >= {
        "manual",
        "continuous",
        "hourly",
        "daily",
        "weekly",
        "custom",
        "runafter",
        "multi",
    }
    assert options["daily"]["configuration"]["type"] == "object"
    assert "hour" in options["daily"]["configuration"]["properties"]


def test_error_handling_round_trips(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    path = f"/api/syncs/{created['id']}/error-handling"
    default = setup.org.client.get(path).json()["data"]
    assert default == {
        "auto_retry_record_errors": True,
        "notify_on_record_errors": False,
        "subscribers": [],
        "warning_notifications": False,
    }
    settings = {
        "auto_retry_record_errors": True,
        "notify_on_record_errors": True,
        "subscribers": ["ops@example.com"],
        "warning_notifications": False,
    }
    assert setup.org.client.put(path, json=settings).json()["data"] == settings
    assert setup.org.client.get(path).json()["data"] == settings


def test_error_handling_refuses_a_bad_subscriber(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    response = setup.org.client.put(
        f"/api/syncs/{created['id']}/error-handling", json={"subscribers": ["not-an-email"]}
    )
    _error(response, 400, "subscribers[0]")


def test_passphrase_is_masked_and_kept_on_update(setup: SyncSetup) -> None:
    created = setup.create(encryption_passphrase="correct horse").json()["data"]
    assert created["encryption_passphrase"] == "********"
    kept = setup.org.client.put(
        f"/api/syncs/{created['id']}", json=setup.body(encryption_passphrase="********")
    ).json()["data"]
    assert kept["encryption_passphrase"] == "********"
    cleared = setup.org.client.put(f"/api/syncs/{created['id']}", json=setup.body()).json()
    assert cleared["data"]["encryption_passphrase"] is None
    assert "correct horse" not in str(created) + str(kept)


def test_sync_to_a_new_table(setup: SyncSetup) -> None:
    body = setup.body(
        target={
            "connection_id": setup.connection_id,
            "create": {"schema": setup.schema},
            "new_name": "fresh_contacts",
        },
        fields=[
            {"source": setup.source("id"), "target": "id", "new": True},
            {"source": setup.source("email"), "target": "email", "new": True},
        ],
        identities=None,
        mode="replace",
    )
    response = setup.org.client.post("/api/syncs", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["target"]["object"] == f"{setup.schema}.fresh_contacts"


def test_legacy_shape_is_accepted_and_reported(setup: SyncSetup) -> None:
    model = setup.org.client.get(f"/api/models/{setup.model_id}").json()["data"]
    plan_id = next(f["id"] for f in model["fields"] if f["name"] == "plan")
    body = setup.body(
        identities=None,
        identity={"source": setup.source("id"), "target": "id", "function": "Equality"},
        filters=[
            {"field_id": plan_id, "field_type": "Model", "function": "Equality", "value": "pro"},
            {"field_id": "plan", "field_type": "Target", "function": "IsNotNull"},
        ],
        filter_logic="A and B",
        mode="update",
    )
    response = setup.org.client.post("/api/syncs", json=body)
    assert response.status_code == 200, response.text
    sync = response.json()["data"]
    assert sync["identities"]["mappings"][0]["target"] == "id"
    assert sync["model_filters"]["conditions"][0]["source"]["field"] == "plan"
    assert sync["target_filters"]["conditions"][0]["field"] == "plan"
    assert {f["field_type"] for f in sync["filters"]} == {"Model", "Target"}


def test_problems_report_a_field_the_model_lost(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    model = setup.org.client.get(f"/api/models/{setup.model_id}").json()["data"]
    shrunk = setup.org.client.put(
        f"/api/models/{setup.model_id}",
        json={
            "name": model["name"],
            "connection_id": model["connection_id"],
            "configuration": model["configuration"],
            "fields": ["id", "email", "mrr"],
        },
    )
    assert shrunk.status_code == 200, shrunk.text
    sync = setup.org.client.get(f"/api/syncs/{created['id']}").json()["data"]
    assert [p["path"] for p in sync["problems"]] == ["fields[1].source.field"]
    assert sync["problems"][0]["severity"] == "error"
    assert "name" in sync["problems"][0]["message"]


def test_deleting_a_model_in_use_answers_409_naming_the_sync(setup: SyncSetup) -> None:
    created = setup.create(name="the important sync").json()["data"]
    response = setup.org.client.delete(f"/api/models/{setup.model_id}")
    assert response.status_code == 409
    assert "the important sync" in response.json()["message"]
    setup.org.client.delete(f"/api/syncs/{created['id']}")
    assert setup.org.client.delete(f"/api/models/{setup.model_id}").status_code == 200


def test_connection_in_use_needs_force_to_delete(setup: SyncSetup) -> None:
    created = setup.create().json()["data"]
    refused = setup.org.client.delete(f"/api/connections/{setup.connection_id}")
    assert refused.status_code == 422
    assert "in use" in refused.json()["message"]
    forced = setup.org.client.delete(
        f"/api/connections/{setup.connection_id}", params={"force": "true"}
    )
    assert forced.status_code == 200, forced.text
    assert setup.org.client.get(f"/api/syncs/{created['id']}").status_code == 404
    assert setup.org.client.get(f"/api/models/{setup.model_id}").status_code == 404


def test_another_organizations_sync_does_not_exist(
    setup: SyncSetup, other_org: Org, pg_config: dict[str, Any], sync_schema: str
) -> None:
    created = setup.create().json()["data"]
    path = f"/api/syncs/{created['id']}"
    theirs = other_org.client
    assert theirs.get(path).status_code == 404
    assert theirs.put(path, json=setup.body()).status_code == 404
    assert theirs.delete(path).status_code == 404
    assert theirs.post(f"{path}/activate", json={"active": True}).status_code == 404
    assert theirs.get(f"{path}/error-handling").status_code == 404
    assert theirs.put(f"{path}/error-handling", json={}).status_code == 404
    assert theirs.get("/api/syncs").json()["data"] == []
    other = make_setup(other_org, pg_config, sync_schema)
    borrowed_model = other.body(
        fields=[{"source": setup.source("email"), "target": "email"}],
        identities={
            "mappings": [{"source": setup.source("id"), "target": "id", "function": "Equality"}]
        },
    )
    _error(theirs.post("/api/syncs", json=borrowed_model), 422, "fields[0].source.model_id")
    borrowed_connection = other.body(
        target={"connection_id": setup.connection_id, "object": setup.target}
    )
    _error(theirs.post("/api/syncs", json=borrowed_connection), 422, "target.connection_id")
