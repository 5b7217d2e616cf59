"""Model-sync source and target discovery through the API, on real databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Org
from tests.conftest import temporary_maria_database, temporary_pg_schema


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    """A schema holding a `users` table and a view over it."""
    with temporary_pg_schema(
        "api",
        "CREATE TABLE {schema}.users (id bigint PRIMARY KEY, email text UNIQUE NOT NULL,"
        " name text, score numeric(10,2), signed_up timestamptz DEFAULT now(), tags text[],"
        " profile jsonb)",
        "INSERT INTO {schema}.users (id, email, name, score) VALUES"
        " (1, 'ada@example.com', 'Ada', 9.5), (2, 'grace@example.com', 'Grace', 8.25)",
        "CREATE VIEW {schema}.active_users AS SELECT * FROM {schema}.users",
    ) as schema:
        yield schema


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    """A MariaDB database holding a `contacts` table."""
    with temporary_maria_database(
        "api",
        "CREATE TABLE {database}.contacts (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL,"
        " score DECIMAL(10,2), created_at DATETIME)",
    ) as name:
        yield name


def _connection(org: Org, type_id: str, config: dict[str, Any]) -> str:
    response = org.client.post(
        "/api/connections", json={"name": type_id, "type": type_id, "configuration": config}
    )
    assert response.status_code == 200, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


@pytest.fixture
def pg(org: Org, pg_config: dict[str, Any]) -> str:
    return _connection(org, "postgresql", pg_config)


def test_source_walks_from_schemas_to_a_table(org: Org, pg: str, pg_schema: str) -> None:
    base = f"/api/connections/{pg}/modelsync/source"
    top = org.client.get(base).json()["data"]
    assert sorted(top["requires_one_of"]) == ["query", "table"]
    schemas = [i["value"] for i in top["items"]["schema"]["items"]]
    assert pg_schema in schemas
    assert "pg_catalog" not in schemas

    refined = org.client.get(base, params={"params[schema]": pg_schema}).json()["data"]
    tables = {i["value"]: i["label"] for i in refined["items"]["table"]["items"]}
    assert tables[f"{pg_schema}.users"] == "users"
    assert f"{pg_schema}.active_users" in tables

    chosen = org.client.get(base, params={"params[table]": f"{pg_schema}.users"})
    assert chosen.status_code == 200


def test_source_refuses_an_unknown_schema(org: Org, pg: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source", params={"params[schema]": "no_such_schema"}
    )
    assert response.status_code == 404
    assert "no_such_schema" in response.json()["message"]


def test_source_refuses_an_unknown_parameter(org: Org, pg: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source", params={"params[colour]": "red"}
    )
    assert response.status_code == 400
    assert "colour" in response.json()["message"]


def test_source_fields_of_a_table(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source/fields",
        params={"params[table]": f"{pg_schema}.users"},
    )
    assert response.status_code == 200, response.text
    fields = {f["name"]: f for f in response.json()["data"]}
    assert list(fields) == ["id", "email", "name", "score", "signed_up", "tags", "profile"]
    assert fields["id"]["type"] == "number"
    assert fields["id"]["unique"] is True
    assert fields["email"]["type"] == "string"
    assert fields["email"]["unique"] is True
    assert fields["score"]["remote_type"] == "numeric(10,2)"
    assert fields["signed_up"]["type"] == "datetime"
    assert fields["tags"]["type"] == "array"
    assert fields["profile"]["type"] == "object"


def test_source_fields_of_a_query(org: Org, pg: str, pg_schema: str) -> None:
    query = f"SELECT id, upper(email) AS email_upper, score * 2 AS doubled FROM {pg_schema}.users"
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source/fields", params={"params[query]": query}
    )
    assert response.status_code == 200, response.text
    fields = {f["name"]: f["type"] for f in response.json()["data"]}
    assert fields == {"id": "number", "email_upper": "string", "doubled": "number"}


def test_source_fields_of_a_bad_query_give_the_database_message(org: Org, pg: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source/fields",
        params={"params[query]": "SELECT * FROM no_such_table_here"},
    )
    assert response.status_code == 400
    assert "no_such_table_here" in response.json()["message"]


def test_source_fields_need_a_configuration(org: Org, pg: str) -> None:
    response = org.client.get(f"/api/connections/{pg}/modelsync/source/fields")
    assert response.status_code == 400
    assert "params" in response.json()["message"]


def test_source_fields_of_a_missing_table_answer_404(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/source/fields",
        params={"params[table]": f"{pg_schema}.nope"},
    )
    assert response.status_code == 404


def test_target_objects_list_tables_with_modes(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(f"/api/connections/{pg}/modelsync/targetobjects")
    assert response.status_code == 200
    body = response.json()
    objects = {o["id"]: o for o in body["data"]}
    assert f"{pg_schema}.users" in objects
    assert f"{pg_schema}.active_users" not in objects
    modes = {m["id"]: m for m in objects[f"{pg_schema}.users"]["modes"]}
    assert set(modes) == {
        "create",
        "update",
        "updateOrCreate",
        "replace",
        "append",
        "remove",
        "snapshot",
    }
    assert modes["updateOrCreate"]["requires_identity"] is True
    assert modes["append"]["requires_identity"] is False
    creation = body["target_creation"]
    assert creation["supported"] is True
    assert {p["id"] for p in creation["properties"]} == {"schema", "name"}
    assert all(p.get("values") is None for p in creation["properties"])


def test_target_objects_inline_creation_values_on_request(
    org: Org, pg: str, pg_schema: str
) -> None:
    body = org.client.get(
        f"/api/connections/{pg}/modelsync/targetobjects",
        params={"include_target_creation_values": "true"},
    ).json()
    schema_prop = next(p for p in body["target_creation"]["properties"] if p["id"] == "schema")
    assert pg_schema in [v["value"] for v in schema_prop["values"]]


def test_target_fields_describe_columns(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/target/fields", params={"target": f"{pg_schema}.users"}
    )
    assert response.status_code == 200, response.text
    target = response.json()["data"]
    fields = {f["id"]: f for f in target["fields"]}
    assert fields["email"]["required"] is True
    assert fields["name"]["required"] is False
    assert fields["signed_up"]["required"] is False
    assert fields["email"]["supports_identity"] is True
    assert [f["id"] for f in fields["email"]["identity_functions"]] == ["Equality"]
    assert fields["profile"]["supports_identity"] is False
    assert "StringContains" in [f["id"] for f in fields["email"]["filter_functions"]]
    assert {m["mode"] for m in target["modes"]} >= {"updateOrCreate", "replace"}
    assert target["properties"]["target_creator"] is True


def test_target_fields_of_a_new_table(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/target/fields",
        params={"properties[schema]": pg_schema, "properties[name]": "brand_new"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == f"{pg_schema}.brand_new"
    assert response.json()["data"]["fields"] == []


def test_target_fields_need_exactly_one_of_target_and_properties(org: Org, pg: str) -> None:
    path = f"/api/connections/{pg}/modelsync/target/fields"
    neither = org.client.get(path)
    both = org.client.get(path, params={"target": "public.x", "properties[name]": "y"})
    assert neither.status_code == 400
    assert both.status_code == 400


def test_target_fields_of_a_missing_table_answer_404(org: Org, pg: str, pg_schema: str) -> None:
    response = org.client.get(
        f"/api/connections/{pg}/modelsync/target/fields", params={"target": f"{pg_schema}.nope"}
    )
    assert response.status_code == 404


def test_creation_property_values(org: Org, pg: str, pg_schema: str) -> None:
    base = f"/api/connections/{pg}/modelsync/targetobjects/properties"
    schema_values = org.client.get(f"{base}/schema")
    assert schema_values.status_code == 200
    assert pg_schema in [v["value"] for v in schema_values.json()["data"]["values"]]
    assert org.client.get(f"{base}/colour").status_code == 404


def test_mariadb_source_and_target(
    org: Org, mysql_config: dict[str, Any], mysql_database: str
) -> None:
    maria = _connection(org, "mysql", {**mysql_config, "dbname": mysql_database})
    source = org.client.get(
        f"/api/connections/{maria}/modelsync/source", params={"params[schema]": mysql_database}
    ).json()["data"]
    assert f"{mysql_database}.contacts" in [i["value"] for i in source["items"]["table"]["items"]]
    fields = org.client.get(
        f"/api/connections/{maria}/modelsync/source/fields",
        params={"params[table]": f"{mysql_database}.contacts"},
    ).json()["data"]
    assert [f["name"] for f in fields] == ["id", "email", "score", "created_at"]
    target = org.client.get(
        f"/api/connections/{maria}/modelsync/target/fields",
        params={"target": f"{mysql_database}.contacts"},
    ).json()["data"]
    assert {f["id"] for f in target["fields"]} == {"id", "email", "score", "created_at"}


def test_files_source_and_target(org: Org, files_dir: Path) -> None:
    files = _connection(org, "files", {"path": str(files_dir)})
    source = org.client.get(f"/api/connections/{files}/modelsync/source").json()["data"]
    assert [i["value"] for i in source["items"]["file"]["items"]] == ["people.csv"]
    fields = org.client.get(
        f"/api/connections/{files}/modelsync/source/fields", params={"params[file]": "people.csv"}
    ).json()["data"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("id", "number"),
        ("name", "string"),
        ("score", "number"),
    ]
    objects = org.client.get(f"/api/connections/{files}/modelsync/targetobjects").json()["data"]
    assert [o["id"] for o in objects] == ["people.csv"]


def test_files_source_refuses_path_traversal(org: Org, files_dir: Path) -> None:
    files = _connection(org, "files", {"path": str(files_dir)})
    response = org.client.get(
        f"/api/connections/{files}/modelsync/source/fields",
        params={"params[file]": "../../etc/passwd"},
    )
    assert 400 <= response.status_code < 500


def test_enrichment_source_answers_404(org: Org, pg: str) -> None:
    response = org.client.get(f"/api/connections/{pg}/modelsync/enrichment-source")
    assert response.status_code == 404
