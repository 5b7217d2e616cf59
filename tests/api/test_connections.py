"""The connections API against real PostgreSQL and MariaDB."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from syncline.store.secrets import SecretBox
from tests.api.conftest import Org, Server

SECRET = "Sup3r-Secret-Pa55word"


def _create(org: Org, config: dict[str, Any], **extra: Any) -> Any:
    body = {"name": "warehouse", "type": "postgresql", "configuration": config, **extra}
    return org.client.post("/api/connections", json=body)


def _stored_row(server: Server, connection_id: str) -> dict[str, Any]:
    engine = create_engine(server.settings.resolved_database_url())
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT configuration, secrets FROM connections WHERE id = :id"),
            {"id": connection_id},
        ).one()
    engine.dispose()
    return {"configuration": row[0], "secrets": row[1]}


def test_create_checks_and_masks_the_password(org: Org, pg_config: dict[str, Any]) -> None:
    response = _create(org, {**pg_config, "password": SECRET})
    assert response.status_code == 200, response.text
    created = response.json()["data"]
    assert created["status"] == "healthy"
    assert created["configuration"]["password"] == "********"
    assert created["configuration"]["hostname"] == pg_config["hostname"]
    assert created["type"]["id"] == "postgresql"
    assert created["organization_id"] == org.id
    assert SECRET not in response.text


def test_secrets_are_encrypted_at_rest(org: Org, server: Server, pg_config: dict[str, Any]) -> None:
    created = _create(org, {**pg_config, "password": SECRET}).json()["data"]
    row = _stored_row(server, created["id"])
    assert SECRET not in str(row["configuration"])
    assert SECRET not in row["secrets"]
    key = (server.settings.data_dir / "secret.key").read_text().strip()
    assert SecretBox(key.encode()).decrypt(row["secrets"]) == {"password": SECRET}


def test_get_and_list_show_only_masked_secrets(org: Org, pg_config: dict[str, Any]) -> None:
    created = _create(org, {**pg_config, "password": SECRET}).json()["data"]
    one = org.client.get(f"/api/connections/{created['id']}")
    listed = org.client.get("/api/connections")
    assert one.status_code == 200
    assert one.json()["data"]["configuration"]["password"] == "********"
    assert [c["id"] for c in listed.json()["data"]] == [created["id"]]
    assert SECRET not in one.text + listed.text


def test_update_with_the_mask_keeps_the_stored_secret(
    org: Org, server: Server, pg_config: dict[str, Any]
) -> None:
    created = _create(org, {**pg_config, "password": SECRET}).json()["data"]
    config = {**created["configuration"]}
    response = org.client.put(
        f"/api/connections/{created['id']}", json={"name": "renamed", "configuration": config}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "renamed"
    row = _stored_row(server, created["id"])
    key = (server.settings.data_dir / "secret.key").read_text().strip()
    assert SecretBox(key.encode()).decrypt(row["secrets"]) == {"password": SECRET}


def test_update_is_a_full_replacement(org: Org, server: Server, pg_config: dict[str, Any]) -> None:
    created = _create(org, {**pg_config, "password": SECRET}).json()["data"]
    config = {k: v for k, v in pg_config.items() if k not in ("password", "ssl")}
    response = org.client.put(
        f"/api/connections/{created['id']}", json={"name": "w", "configuration": config}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["configuration"]["password"] == ""
    assert response.json()["data"]["configuration"]["ssl"] is False


def test_update_cannot_change_the_type(org: Org, pg_config: dict[str, Any]) -> None:
    created = _create(org, pg_config).json()["data"]
    response = org.client.put(
        f"/api/connections/{created['id']}",
        json={"name": "w", "type": "mysql", "configuration": pg_config},
    )
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "type"


def test_delete_removes_the_connection(org: Org, pg_config: dict[str, Any]) -> None:
    created = _create(org, pg_config).json()["data"]
    assert org.client.delete(f"/api/connections/{created['id']}").status_code == 200
    assert org.client.get(f"/api/connections/{created['id']}").status_code == 404
    assert org.client.delete(f"/api/connections/{created['id']}").status_code == 404


def test_unknown_id_answers_404(org: Org) -> None:
    for method in ("get", "delete"):
        response = getattr(org.client, method)("/api/connections/not-a-uuid")
        assert response.status_code == 404
        assert response.json()["key"] == "not_found"


def test_missing_configuration_key_is_named(org: Org, pg_config: dict[str, Any]) -> None:
    config = {k: v for k, v in pg_config.items() if k != "hostname"}
    response = _create(org, config)
    assert response.status_code == 422
    body = response.json()
    assert body["metadata"]["path"] == "configuration.hostname"
    assert "configuration.hostname" in body["message"]


def test_wrongly_typed_configuration_value_is_named(org: Org, pg_config: dict[str, Any]) -> None:
    response = _create(org, {**pg_config, "port": "not-a-port"})
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "configuration.port"


def test_unknown_configuration_key_is_refused(org: Org, pg_config: dict[str, Any]) -> None:
    response = _create(org, {**pg_config, "hostnme": "typo"})
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "configuration.hostnme"


def test_unknown_type_answers_422_naming_type(org: Org) -> None:
    response = org.client.post(
        "/api/connections", json={"name": "x", "type": "oracle", "configuration": {}}
    )
    assert response.status_code == 422
    assert response.json()["metadata"]["path"] == "type"


def test_create_refuses_an_unreachable_server(org: Org, pg_config: dict[str, Any]) -> None:
    response = _create(org, {**pg_config, "port": 59999, "password": SECRET})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "could not connect" in message
    assert "59999" in message
    assert SECRET not in response.text
    assert org.client.get("/api/connections").json()["data"] == []


def test_create_without_validation_stores_unchecked(org: Org, pg_config: dict[str, Any]) -> None:
    response = _create(org, {**pg_config, "port": 59999}, validate=False)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "unknown"


def test_creates_a_mariadb_connection(org: Org, mysql_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connections", json={"name": "maria", "type": "mysql", "configuration": mysql_config}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["configuration"]["passwd"] == ""
    assert response.json()["data"]["status"] == "healthy"


def test_test_endpoint_succeeds_without_saving(org: Org, pg_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connections/test", json={"type": "postgresql", "configuration": pg_config}
    )
    assert response.status_code == 200
    assert org.client.get("/api/connections").json()["data"] == []


def test_test_endpoint_explains_a_failure(org: Org, pg_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connections/test",
        json={"type": "postgresql", "configuration": {**pg_config, "database": "no_such_db"}},
    )
    assert response.status_code == 400
    assert "no_such_db" in response.json()["message"]


def test_test_endpoint_explains_a_mariadb_failure(org: Org, mysql_config: dict[str, Any]) -> None:
    response = org.client.post(
        "/api/connections/test",
        json={"type": "mysql", "configuration": {**mysql_config, "port": 3399}},
    )
    assert response.status_code == 400
    assert "could not connect" in response.json()["message"]
    assert "3399" in response.json()["message"]


def test_test_endpoint_merges_over_a_stored_connection(org: Org, pg_config: dict[str, Any]) -> None:
    created = _create(org, {**pg_config, "password": SECRET}).json()["data"]
    broken = org.client.post(
        "/api/connections/test",
        json={
            "type": "postgresql",
            "configuration": {"database": "no_such_database"},
            "connection_id": created["id"],
        },
    )
    fine = org.client.post(
        "/api/connections/test",
        json={"type": "postgresql", "configuration": {}, "connection_id": created["id"]},
    )
    assert broken.status_code == 400
    assert "no_such_database" in broken.json()["message"]
    assert fine.status_code == 200


def test_parameter_values_list_databases(org: Org, pg_config: dict[str, Any]) -> None:
    created = _create(org, pg_config).json()["data"]
    response = org.client.get(f"/api/connections/{created['id']}/parameter_values")
    assert response.status_code == 200
    values = [v["value"] for v in response.json()["data"]["database"]["values"]]
    assert pg_config["database"] in values


def test_secrets_never_reach_the_log(
    org: Org, pg_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _create(org, {**pg_config, "password": SECRET})
    _create(org, {**pg_config, "port": 59999, "password": SECRET})
    org.client.post(
        "/api/connections/test",
        json={"type": "postgresql", "configuration": {**pg_config, "password": SECRET}},
    )
    assert SECRET not in caplog.text


def test_another_organizations_connection_does_not_exist(
    org: Org, other_org: Org, pg_config: dict[str, Any]
) -> None:
    created = _create(org, pg_config).json()["data"]
    path = f"/api/connections/{created['id']}"
    assert other_org.client.get(path).status_code == 404
    assert (
        other_org.client.put(path, json={"name": "x", "configuration": pg_config}).status_code
        == 404
    )
    assert other_org.client.delete(path).status_code == 404
    assert other_org.client.get(f"{path}/parameter_values").status_code == 404
    assert other_org.client.get(f"{path}/modelsync/source").status_code == 404
    for discovery in (
        "modelsync/source/fields?params[table]=public.x",
        "modelsync/targetobjects",
        "modelsync/target/fields?target=public.x",
        "modelsync/targetobjects/properties/schema",
        "modelsync/enrichment-source",
    ):
        assert other_org.client.get(f"{path}/{discovery}").status_code == 404, discovery
    type_values = other_org.client.post(
        "/api/connection_types/postgresql/parameter_values",
        json={"field": "database", "connection_id": created["id"]},
    )
    assert type_values.status_code == 404
    test = other_org.client.post(
        "/api/connections/test",
        json={"type": "postgresql", "configuration": {}, "connection_id": created["id"]},
    )
    assert test.status_code == 404
    assert other_org.client.get("/api/connections").json()["data"] == []
    assert org.client.get(path).status_code == 200
