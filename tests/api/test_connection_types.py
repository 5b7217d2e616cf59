"""Connection types, their schemas and parameter values."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Org


def test_lists_every_connector_type_with_all_capabilities(org: Org) -> None:
    response = org.client.get("/api/connection_types")
    assert response.status_code == 200
    types = {t["id"]: t for t in response.json()["data"]}
    assert set(types) == {"postgresql", "mysql", "sqlite", "files", "webhook", "http"}
    for type_id, entry in types.items():
        caps = entry["capabilities"]
        assert set(caps) == {"source", "destination", "enrichment", "orchestration", "logging"}
        # Network destinations are targets only; databases and files are both.
        assert caps["source"] is (type_id not in ("webhook", "http"))
        assert caps["destination"] is True
        assert entry["configurationForm"]["jsonschema"]["type"] == "object"


def test_type_schema_is_bare_and_marks_secrets(org: Org) -> None:
    response = org.client.get("/api/connection_types/postgresql")
    assert response.status_code == 200
    schema = response.json()
    assert "data" not in schema
    props = schema["properties"]
    assert {"hostname", "port", "database", "username", "password", "ssl"} <= set(props)
    assert props["password"]["format"] == "password"
    assert props["password"]["writeOnly"] is True


def test_mysql_schema_uses_polytomic_keys(org: Org) -> None:
    props = org.client.get("/api/connection_types/mysql").json()["properties"]
    assert {"hostname", "port", "dbname", "account", "passwd"} <= set(props)


def test_unknown_type_schema_answers_404(org: Org) -> None:
    response = org.client.get("/api/connection_types/oracle")
    assert response.status_code == 404
    assert "oracle" in response.json()["message"]


def test_type_parameter_values_for_an_unsaved_configuration(
    org: Org, mysql_config: dict[str, Any]
) -> None:
    response = org.client.post(
        "/api/connection_types/mysql/parameter_values",
        json={"field": "dbname", "parameters": mysql_config},
    )
    assert response.status_code == 200, response.text
    values = [v["value"] for v in response.json()["data"]["dbname"]["values"]]
    assert mysql_config["dbname"] in values
    assert "mysql" not in values


def test_type_parameter_values_narrow_by_query(org: Org, pg_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connection_types/postgresql/parameter_values",
        json={"field": "database", "parameters": pg_config, "query": "TES"},
    )
    values = [v["value"] for v in response.json()["data"]["database"]["values"]]
    assert values
    assert all("tes" in v.lower() for v in values)


def test_unknown_parameter_answers_400_naming_it(org: Org, pg_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connection_types/postgresql/parameter_values",
        json={"field": "colour", "parameters": pg_config},
    )
    assert response.status_code == 400
    assert "colour" in response.json()["message"]


def test_parameter_values_of_unknown_type_answer_404(org: Org) -> None:
    response = org.client.post(
        "/api/connection_types/oracle/parameter_values", json={"field": "x", "parameters": {}}
    )
    assert response.status_code == 404
