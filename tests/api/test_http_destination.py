"""The `http` connection type through the REST API: secrets masked, the target described,
a broken template refused at save time where it is broken, and a PostgreSQL model
synced to a real receiver (inserts, then an update by the remote id it gave), with the
secrets kept through an update that sends them back masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syncline.connectors.base import MASK
from tests.api.conftest import Org
from tests.api.execution_fixtures import Runner, pg
from tests.http_fixtures import Answer, HttpReceiver, Seen, receiving


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with receiving() as running:
        yield running


def http_connection(org: Org, receiver: HttpReceiver) -> str:
    response = org.client.post(
        "/api/connections",
        json={
            "name": "people api",
            "type": "http",
            "configuration": {
                "base_url": receiver.url + "/v1",
                "auth_method": "bearer",
                "bearer_token": "api-token-1",
                "headers": [{"name": "X-Team", "value": "growth"}],
                "secret_headers": [{"name": "X-Tenant-Key", "value": "tenant-2"}],
            },
        },
    )
    assert response.status_code == 200, response.text
    configuration = response.json()["data"]["configuration"]
    assert configuration["bearer_token"] == MASK
    assert configuration["secret_headers"] == [{"name": "X-Tenant-Key", "value": MASK}]
    assert configuration["headers"] == [{"name": "X-Team", "value": "growth"}]
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def sync_body(runner: Runner, connection_id: str, configuration: dict[str, Any]) -> dict[str, Any]:
    source = lambda name: {"model_id": runner.model_id, "field": name}  # noqa: E731
    return {
        "name": "people to the api",
        "mode": "updateOrCreate",
        "active": True,
        "schedule": {"frequency": "manual"},
        "target": {
            "connection_id": connection_id,
            "object": "http",
            "configuration": configuration,
        },
        "fields": [
            {"source": source("id"), "target": "id"},
            {"source": source("email"), "target": "email"},
            {"source": source("score"), "target": "score"},
        ],
        "identities": {
            "mappings": [{"source": source("id"), "target": "id", "function": "Equality"}]
        },
    }


def test_the_http_target_is_described_with_its_modes(org: Org, receiver: HttpReceiver) -> None:
    connection_id = http_connection(org, receiver)

    objects = org.client.get(f"/api/connections/{connection_id}/modelsync/targetobjects")
    fields = org.client.get(
        f"/api/connections/{connection_id}/modelsync/target/fields", params={"target": "http"}
    )

    assert objects.status_code == 200, objects.text
    [described] = objects.json()["data"]
    assert described["id"] == "http"
    assert {m["id"] for m in described["modes"]} == {
        "create",
        "update",
        "updateOrCreate",
        "remove",
        "append",
    }
    assert fields.status_code == 200, fields.text
    assert fields.json()["data"]["fields"] == []


def test_a_template_that_does_not_render_is_refused_where_it_is(
    org: Org, runner: Runner, receiver: HttpReceiver
) -> None:
    connection_id = http_connection(org, receiver)
    broken = {"update": {"body": '{"email": {{ record.emial | tojson }}}'}}

    response = org.client.post("/api/syncs", json=sync_body(runner, connection_id, broken))

    assert response.status_code == 422, response.text
    error = response.json()
    assert error["metadata"]["path"] == "target.configuration.update.body"
    assert "emial" in error["message"]


def test_a_template_that_does_not_parse_is_refused_on_update_too(
    org: Org, runner: Runner, receiver: HttpReceiver
) -> None:
    connection_id = http_connection(org, receiver)
    created = org.client.post("/api/syncs", json=sync_body(runner, connection_id, {}))
    assert created.status_code == 200, created.text
    sync_id = created.json()["data"]["id"]
    broken = {"delete": {"path": "/people/{% if remote_id %}"}}

    response = org.client.put(
        f"/api/syncs/{sync_id}", json=sync_body(runner, connection_id, broken)
    )

    assert response.status_code == 422, response.text
    assert response.json()["metadata"]["path"] == "target.configuration.delete.path"


def test_a_model_syncs_to_the_api_and_updates_by_remote_id(
    org: Org, runner: Runner, receiver: HttpReceiver
) -> None:
    def api(seen: Seen) -> Answer:
        if seen.path == "/v1/people/bulk":
            return Answer(200, {"items": [{"id": f"p-{r['id']}"} for r in seen.json()]})
        return Answer(200, {})

    receiver.respond = api
    connection_id = http_connection(org, receiver)
    # Saved again as read back, masks and all: the stored secrets are kept.
    shown = org.client.get(f"/api/connections/{connection_id}").json()["data"]
    kept = org.client.put(
        f"/api/connections/{connection_id}",
        json={"name": shown["name"], "configuration": shown["configuration"]},
    )
    assert kept.status_code == 200, kept.text
    configuration = {
        "insert": {"path": "/people/bulk", "batch": "json_array", "batch_size": 200},
        "update": {
            "path": "/people/{{ remote_id }}",
            "body": "{{ record | pick(changed_fields) | tojson }}",
        },
        "results_path": "$.items",
        "remote_id_path": "$.id",
    }
    created = org.client.post("/api/syncs", json=sync_body(runner, connection_id, configuration))
    assert created.status_code == 200, created.text
    sync = created.json()["data"]
    assert sync["target"]["configuration"]["insert"]["content_type"] == "application/json"

    first = runner.run(sync["id"])
    pg(f'UPDATE "{runner.schema}".people SET email = %s WHERE id = 7', ["seven@example.com"])
    second = runner.run(sync["id"])

    assert first["status"] == "completed", first
    assert second["status"] == "completed", second
    bulk = receiver.requests("/v1/people/bulk")
    assert len(bulk) == 3
    assert sorted(r["id"] for s in bulk for r in s.json()) == list(range(1, 501))
    assert {s.headers["authorization"] for s in bulk} == {"Bearer api-token-1"}
    assert {s.headers["x-tenant-key"] for s in bulk} == {"tenant-2"}
    assert {s.headers["x-team"] for s in bulk} == {"growth"}
    [patch] = receiver.requests("/v1/people/p-7")
    assert patch.method == "PATCH"
    assert patch.json() == {"email": "seven@example.com"}
