"""Map-valued query parameters in the TypeScript SDK's encoding (one JSON object)
answer exactly what the Python SDK's bracket form answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Org
from tests.conftest import temporary_pg_schema


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    with temporary_pg_schema(
        "maps",
        "CREATE TABLE {schema}.users (id bigint PRIMARY KEY, email text NOT NULL, score real)",
        "CREATE TABLE {schema}.orders (id bigint PRIMARY KEY, total numeric(10,2))",
    ) as schema:
        yield schema


@pytest.fixture
def pg(org: Org, pg_config: dict[str, Any]) -> str:
    response = org.client.post(
        "/api/connections", json={"name": "pg", "type": "postgresql", "configuration": pg_config}
    )
    assert response.status_code == 200, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def _get(org: Org, path: str, params: Any) -> dict[str, Any]:
    response = org.client.get(path, params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_source_refines_by_a_json_params_object(org: Org, pg: str, pg_schema: str) -> None:
    path = f"/api/connections/{pg}/modelsync/source"
    as_json = _get(org, path, {"params": json.dumps({"schema": [pg_schema]})})
    tables = [i["value"] for i in as_json["data"]["items"]["table"]["items"]]
    assert tables == [f"{pg_schema}.orders", f"{pg_schema}.users"]
    assert as_json == _get(org, path, {"params[schema]": pg_schema})


def test_source_fields_read_a_json_params_object(org: Org, pg: str, pg_schema: str) -> None:
    path = f"/api/connections/{pg}/modelsync/source/fields"
    as_json = _get(org, path, {"params": json.dumps({"table": [f"{pg_schema}.users"]})})
    assert [f["name"] for f in as_json["data"]] == ["id", "email", "score"]
    assert as_json == _get(org, path, {"params[table]": f"{pg_schema}.users"})
    # A single value may be given without its list.
    assert as_json == _get(org, path, {"params": json.dumps({"table": f"{pg_schema}.users"})})


def test_target_fields_read_json_properties(org: Org, pg: str, pg_schema: str) -> None:
    path = f"/api/connections/{pg}/modelsync/target/fields"
    as_json = _get(org, path, {"properties": json.dumps({"schema": pg_schema, "name": "fresh"})})
    assert as_json["data"]["name"] == f"{pg_schema}.fresh"
    bracketed = _get(org, path, {"properties[schema]": pg_schema, "properties[name]": "fresh"})
    assert as_json["data"] | {"refreshed_at": None} == bracketed["data"] | {"refreshed_at": None}


def test_both_encodings_in_one_request_are_merged(org: Org, pg: str, pg_schema: str) -> None:
    answer = _get(
        org,
        f"/api/connections/{pg}/modelsync/source",
        [("params[schema]", "public"), ("params", json.dumps({"schema": [pg_schema]}))],
    )
    tables = [i["value"] for i in answer["data"]["items"]["table"]["items"]]
    assert f"{pg_schema}.users" in tables


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("not json", "params"),
        ('["a", "b"]', "params"),
        ('{"table": {"nested": 1}}', "params.table"),
        ('{"table": [["a"]]}', "params.table"),
    ],
)
def test_a_params_value_that_is_no_map_answers_400(
    org: Org, pg: str, value: str, path: str
) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source/fields", params={"params": value}
    )
    assert response.status_code == 400, response.text
    assert response.json()["metadata"]["path"] == path
    assert "params" in response.json()["message"]
