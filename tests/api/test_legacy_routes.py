"""Routes of API 2024-02-08 that the TypeScript SDK calls: setting an execution's
status (`PUT .../executions/{id}`) and the deprecated target metadata
(`GET .../modelsync/target`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Org
from tests.api.execution_fixtures import Runner, pg


def test_setting_status_canceled_cancels_the_execution(runner: Runner, schema: str) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "queued")
    path = f"/api/syncs/{sync_id}/executions/{execution_id}"
    response = runner.org.client.put(path, json={"status": "canceled"})
    assert response.status_code == 200, response.text
    answered = response.json()["data"]
    assert answered["id"] == execution_id
    assert answered["status"] == "canceling"
    assert runner.org.client.get(path).json()["data"]["status"] == "canceling"
    # Handed to the executor now, the run sees the request before it starts.
    runner.org.server.app.state.syncline.executor.submit(execution_id)
    assert runner.wait(sync_id, execution_id)["status"] == "canceled"
    assert pg(f'SELECT count(*) FROM "{schema}".people_copy') == [(0,)]


def test_setting_status_on_an_ended_execution_changes_nothing(runner: Runner) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    path = f"/api/syncs/{sync_id}/executions/{execution['id']}"
    response = runner.org.client.put(path, json={"status": "canceled"})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == runner.org.client.get(path).json()["data"]
    assert response.json()["data"]["status"] == "completed"


@pytest.mark.parametrize("body", [{"status": "completed"}, {"status": "running"}, {}, []])
def test_setting_another_status_is_refused(runner: Runner, body: Any) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "queued")
    path = f"/api/syncs/{sync_id}/executions/{execution_id}"
    response = runner.org.client.put(path, json=body)
    # The TypeScript SDK, the client of this route, declares 400 for it (not 422).
    assert response.status_code == 400, response.text
    assert response.json()["metadata"]["path"] in ("status", "body")
    assert runner.org.client.get(path).json()["data"]["status"] == "queued"


def test_another_organization_cannot_set_an_execution_status(
    runner: Runner, other_org: Org
) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "queued")
    path = f"/api/syncs/{sync_id}/executions/{execution_id}"
    assert other_org.client.put(path, json={"status": "canceled"}).status_code == 404
    assert runner.org.client.get(path).json()["data"]["status"] == "queued"
    unknown = f"/api/syncs/{sync_id}/executions/00000000-0000-0000-0000-000000000000"
    assert runner.org.client.put(unknown, json={"status": "canceled"}).status_code == 404


def test_target_metadata_lists_target_objects_as_one_item(runner: Runner, schema: str) -> None:
    pg(f'CREATE TABLE "{schema}".orders (id bigint PRIMARY KEY)')
    path = f"/api/connections/{runner.connection_id}/modelsync/target"
    response = runner.org.client.get(path, params={"type": schema})
    assert response.status_code == 200, response.text
    meta = response.json()["data"]
    assert meta["requires_one_of"] == ["object"]
    assert meta["configuration"] == {}
    item = meta["items"]["object"]
    assert item["has_items"] is True
    assert item["requires_one_of"] == []
    assert [c["value"] for c in item["items"]] == [
        f"{schema}.orders",
        f"{schema}.people",
        f"{schema}.people_copy",
    ]
    searched = runner.org.client.get(path, params={"type": schema, "search": "COPY"}).json()
    assert [c["value"] for c in searched["data"]["items"]["object"]["items"]] == [
        f"{schema}.people_copy"
    ]
    everything = runner.org.client.get(path).json()["data"]["items"]["object"]["items"]
    assert {f"{schema}.orders", f"{schema}.people"} <= {c["value"] for c in everything}
    nothing = runner.org.client.get(path, params={"type": f"{schema}_none"}).json()
    assert nothing["data"]["items"]["object"] == {
        "has_items": False,
        "items": [],
        "requires_one_of": [],
    }


def test_target_metadata_keeps_its_tenancy(runner: Runner, other_org: Org) -> None:
    path = f"/api/connections/{runner.connection_id}/modelsync/target"
    assert other_org.client.get(path).status_code == 404
    missing = "/api/connections/00000000-0000-0000-0000-000000000000/modelsync/target"
    assert runner.org.client.get(missing).status_code == 404


def test_both_routes_are_in_the_openapi_document(org: Org) -> None:
    document = org.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    put = document["paths"]["/api/syncs/{sync_id}/executions/{execution_id}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[body]["required"] == ["status"]
    answer = put["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[answer.rsplit("/", 1)[1]]["properties"]["data"]["$ref"].endswith("/Execution")
    get = document["paths"]["/api/connections/{connection_id}/modelsync/target"]["get"]
    assert get["deprecated"] is True
    assert {p["name"] for p in get["parameters"]} >= {"connection_id", "type", "search"}
    listing = document["paths"]["/api/syncs"]["get"]["responses"]["200"]["content"]
    shapes = {s["$ref"].rsplit("/", 1)[1] for s in listing["application/json"]["schema"]["anyOf"]}
    assert shapes == {"PagedEnvelope_SyncListItem_", "Envelope_list_Sync__"}
