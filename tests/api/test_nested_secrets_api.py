"""Secrets inside nested objects and lists, and generated secrets, through the connections API.

No registered type nests its secrets yet, so these tests register one of
their own for their duration (`tests.nested_config`); the last two check
every registered type's schema, so they cover each new type as it lands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from polytomic.types.jsonschema_schema import JsonschemaSchema
from sqlalchemy import create_engine, text

from syncline.connectors import registry
from syncline.connectors.base import MASK
from syncline.connectors.config_paths import ITEM, FieldPattern
from syncline.store.secrets import SecretBox
from tests.api.conftest import Org, Server
from tests.nested_config import TYPE_ID, HookConnector

SECRETS = ("top-pw-9d1", "key-a-5e2", "key-b-7f3", "basic-pw-1a8", "client-s3cret-6c4")


@pytest.fixture
def hook_type(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The nested-secrets type, registered for this test only."""
    monkeypatch.setitem(registry._TYPES, TYPE_ID, "tests.nested_config:HookConnector")
    registry.connector_class.cache_clear()
    HookConnector.checked.clear()
    yield TYPE_ID
    registry.connector_class.cache_clear()


def _configuration(**changes: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {
        "url": "https://receiver.example/hook",
        "password": SECRETS[0],
        "headers": [{"name": "X-A", "value": SECRETS[1]}, {"name": "X-B", "value": SECRETS[2]}],
        "basic": {"username": "u", "password": SECRETS[3]},
        "oauth": {
            "client_id": "c",
            "client_secret": SECRETS[4],
            "token_endpoint": "https://auth.example/token",
        },
    }
    return {**configuration, **changes}


def _create(org: Org, configuration: dict[str, Any], **extra: Any) -> Any:
    body = {"name": "hook", "type": TYPE_ID, "configuration": configuration, "validate": False}
    return org.client.post("/api/connections", json={**body, **extra})


def _stored_secrets(server: Server, connection_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    engine = create_engine(server.settings.resolved_database_url())
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT configuration, secrets FROM connections WHERE id = :id"),
            {"id": connection_id},
        ).one()
    engine.dispose()
    key = (server.settings.data_dir / "secret.key").read_text().strip()
    configuration = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return configuration, SecretBox(key.encode()).decrypt(row[1])


def test_create_shows_the_generated_secret_once_and_every_other_secret_masked(
    org: Org, hook_type: str
) -> None:
    created = _create(org, {**_configuration(), "secret": "whsec_chosen-by-the-caller"})
    assert created.status_code == 200, created.text
    shown = created.json()["data"]["configuration"]
    generated = shown["secret"]
    assert generated.startswith("whsec_")
    assert generated != "whsec_chosen-by-the-caller"
    assert shown["password"] == MASK
    assert shown["headers"] == [{"name": "X-A", "value": MASK}, {"name": "X-B", "value": MASK}]
    assert shown["basic"] == {"username": "u", "password": MASK}
    assert shown["oauth"]["client_secret"] == MASK
    assert not [s for s in SECRETS if s in created.text]
    connection_id = created.json()["data"]["id"]
    one = org.client.get(f"/api/connections/{connection_id}")
    listed = org.client.get("/api/connections")
    assert one.json()["data"]["configuration"]["secret"] == MASK
    assert one.json()["data"]["configuration"]["headers"][1]["value"] == MASK
    assert not [s for s in (*SECRETS, generated) if s in one.text + listed.text]


def test_the_sdk_gets_the_generated_secret_from_create_only(org: Org, hook_type: str) -> None:
    sdk = org.sdk()
    created = sdk.connections.create(name="hook", type=TYPE_ID, configuration=_configuration())
    assert created.data is not None
    assert created.data.configuration is not None
    generated = created.data.configuration["secret"]
    assert generated.startswith("whsec_")
    fetched = sdk.connections.get(id=str(created.data.id))
    assert fetched.data is not None
    assert fetched.data.configuration is not None
    assert fetched.data.configuration["secret"] == MASK


def test_nested_secrets_are_encrypted_at_rest_under_their_places(
    org: Org, server: Server, hook_type: str
) -> None:
    created = _create(org, _configuration()).json()["data"]
    plain, secrets = _stored_secrets(server, created["id"])
    assert not [s for s in SECRETS if s in str(plain)]
    assert secrets == {
        "password": SECRETS[0],
        "headers.0.value": SECRETS[1],
        "headers.1.value": SECRETS[2],
        "basic.password": SECRETS[3],
        "oauth.client_secret": SECRETS[4],
        "secret": created["configuration"]["secret"],
    }


def test_an_update_sending_the_masks_back_keeps_every_secret(
    org: Org, server: Server, hook_type: str
) -> None:
    created = _create(org, _configuration()).json()["data"]
    _, before = _stored_secrets(server, created["id"])
    shown = org.client.get(f"/api/connections/{created['id']}").json()["data"]["configuration"]
    shown["basic"]["username"] = "someone-else"
    shown["secret"] = "whsec_chosen-by-the-caller"
    updated = org.client.put(
        f"/api/connections/{created['id']}", json={"name": "renamed", "configuration": shown}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["configuration"]["secret"] == MASK
    assert updated.json()["data"]["configuration"]["basic"]["username"] == "someone-else"
    _, after = _stored_secrets(server, created["id"])
    assert after == before
    checked = org.client.post(
        "/api/connections/test", json={"connection_id": created["id"], "configuration": {}}
    )
    assert checked.status_code == 200, checked.text
    seen = HookConnector.checked[-1]
    assert sorted(seen.secret_values()) == sorted(before.values())


def test_reordered_headers_sent_with_masks_are_refused(org: Org, hook_type: str) -> None:
    created = _create(org, _configuration()).json()["data"]
    shown = org.client.get(f"/api/connections/{created['id']}").json()["data"]["configuration"]
    shown["headers"].reverse()
    refused = org.client.put(
        f"/api/connections/{created['id']}", json={"name": "hook", "configuration": shown}
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["metadata"]["path"] == "configuration.headers[0].value"
    assert "again" in body["message"]


def test_a_moved_destination_does_not_get_the_stored_nested_secrets(
    org: Org, hook_type: str
) -> None:
    created = _create(org, _configuration()).json()["data"]
    shown = org.client.get(f"/api/connections/{created['id']}").json()["data"]["configuration"]
    moved = {**shown, "url": "https://attacker.example/"}
    updated = org.client.put(
        f"/api/connections/{created['id']}", json={"name": "hook", "configuration": moved}
    )
    tested = org.client.post(
        "/api/connections/test",
        json={"connection_id": created["id"], "configuration": {"url": moved["url"]}},
    )
    for refused in (updated, tested):
        assert refused.status_code == 422, refused.text
        assert refused.json()["metadata"]["path"] == "configuration.basic.password"
    assert HookConnector.checked == []


def test_a_refused_check_and_the_log_never_show_nested_or_generated_secrets(
    org: Org, hook_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = _create(org, _configuration(url="https://refuse.example/"), validate=True)
    assert refused.status_code == 400, refused.text
    assert MASK in refused.json()["message"]
    assert "whsec_" not in refused.text
    assert not [s for s in SECRETS if s in refused.text + caplog.text]


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            node = next(option for option in node["anyOf"] if option.get("type") != "null")
        else:
            return node


def _property(root: dict[str, Any], pattern: FieldPattern) -> dict[str, Any]:
    node = root
    for step in pattern:
        node = _resolve(root, node)
        node = node["items"] if step == ITEM else node["properties"][step]
    return node


def test_the_schema_marks_nested_secrets_and_the_generated_one(org: Org, hook_type: str) -> None:
    schema = org.client.get(f"/api/connection_types/{TYPE_ID}").json()
    for pattern in [("headers", ITEM, "value"), ("basic", "password"), ("password",)]:
        marked = _property(schema, pattern)
        assert (marked["secret"], marked["format"], marked["writeOnly"]) == (
            True,
            "password",
            True,
        ), pattern
    generated = _property(schema, ("secret",))
    assert (generated["secret"], generated["readOnly"]) == (True, True)
    parsed = org.sdk().connections.get_connection_type_schema(TYPE_ID)
    assert isinstance(parsed, JsonschemaSchema)
    assert parsed.properties is not None
    assert "headers" in parsed.properties


def test_every_registered_types_secrets_are_marked_in_its_schema(org: Org) -> None:
    for cls in registry.connector_classes():
        schema = org.client.get(f"/api/connection_types/{cls.type_id}").json()
        generated = cls.config_model.generated_secret_fields()
        for pattern in cls.config_model.secret_paths():
            marked = _property(schema, pattern)
            assert marked["secret"] is True, (cls.type_id, pattern)
            assert marked["format"] == "password", (cls.type_id, pattern)
            if pattern[0] in generated:
                assert marked["readOnly"] is True, (cls.type_id, pattern)
            else:
                assert marked["writeOnly"] is True, (cls.type_id, pattern)
