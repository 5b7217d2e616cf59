"""`Idempotency-Key`: the first outcome is replayed, conflicts are refused."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from syncline.store.organizations import hash_key
from tests.api.conftest import Org, basic_auth


def _create(org: Org, config: dict[str, Any], key: str, name: str = "pg") -> Any:
    return org.client.post(
        "/api/connections",
        json={"name": name, "type": "postgresql", "configuration": config},
        headers={"Idempotency-Key": key},
    )


def test_repeat_replays_the_first_outcome_without_a_second_object(
    org: Org, pg_config: dict[str, Any]
) -> None:
    first = _create(org, pg_config, "create-pg-0001")
    again = _create(org, pg_config, "create-pg-0001")
    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(org.client.get("/api/connections").json()["data"]) == 1


def test_errors_are_replayed_too(org: Org, pg_config: dict[str, Any]) -> None:
    broken = {**pg_config, "port": 59999}
    first = _create(org, broken, "broken-create-1")
    again = _create(org, broken, "broken-create-1")
    assert first.status_code == 400
    assert again.status_code == 400
    assert again.json() == first.json()


def test_the_same_key_for_another_request_is_refused(org: Org, pg_config: dict[str, Any]) -> None:
    assert _create(org, pg_config, "reused-key-01", name="a").status_code == 200
    other = _create(org, pg_config, "reused-key-01", name="b")
    assert other.status_code == 422
    assert "different request" in other.json()["message"]


def test_keys_are_scoped_to_the_organization(
    org: Org, other_org: Org, pg_config: dict[str, Any]
) -> None:
    assert _create(org, pg_config, "shared-key-01").status_code == 200
    theirs = _create(other_org, pg_config, "shared-key-01")
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert len(other_org.client.get("/api/connections").json()["data"]) == 1


def test_a_malformed_key_answers_400(org: Org, pg_config: dict[str, Any]) -> None:
    for bad in ("short", "has spaces in it", "x" * 256, "semi;colon;key"):
        response = _create(org, pg_config, bad)
        assert response.status_code == 400, bad
        assert "Idempotency-Key" in response.json()["message"]


def test_reads_ignore_the_key(org: Org) -> None:
    response = org.client.get("/api/connections", headers={"Idempotency-Key": "bad"})
    assert response.status_code == 200


def test_concurrent_repeats_create_one_object(org: Org, pg_config: dict[str, Any]) -> None:
    statuses: list[int] = []

    def send() -> None:
        statuses.append(_create(org, pg_config, "concurrent-key-1").status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 200 in statuses
    assert set(statuses) <= {200, 409}
    assert len(org.client.get("/api/connections").json()["data"]) == 1


def test_sdk_sends_idempotency_keys(org: Org, pg_config: dict[str, Any]) -> None:
    sdk = org.sdk()
    first = sdk.connections.create(
        name="pg", type="postgresql", configuration=pg_config, idempotency_key="sdk-key-0001"
    )
    again = sdk.connections.create(
        name="pg", type="postgresql", configuration=pg_config, idempotency_key="sdk-key-0001"
    )
    assert first.data is not None
    assert again.data is not None
    assert first.data.id == again.data.id


def _raw_store_text(org: Org) -> list[tuple[str, str, bytes]]:
    """Every value of every column of every table of the metadata store, as raw bytes."""
    engine = org.server.app.state.syncline.store.engine
    found = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            result = connection.execute(sa.text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    found.append((table, column, raw))
    return found


def test_the_value_of_a_new_api_key_is_never_stored(org: Org) -> None:
    path = f"/api/organizations/{org.id}/users/{org.user_id}/keys"
    headers = {**basic_auth(org.id), "Idempotency-Key": "new-key-0001"}
    first = org.server.client.post(path, headers=headers)
    assert first.status_code == 200, first.text
    value = first.json()["data"]["value"]

    stored = _raw_store_text(org)
    holding = [(table, column) for table, column, raw in stored if value.encode() in raw]
    assert holding == []
    # The scan reads what it should: the key's digest and the kept outcome are there.
    assert any(hash_key(value).encode() in raw for table, _, raw in stored if table == "api_keys")
    assert any(t == "idempotency_keys" and c == "body" and raw for t, c, raw in stored)

    again = org.server.client.post(path, headers=headers)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["value"] == value
    key_works = TestClient(org.server.app, headers={"Authorization": f"Bearer {value}"})
    assert key_works.get("/api/me").status_code == 200


def _unkeyed_digest(method: str, path: str, body: bytes) -> str:
    """A plain SHA-256 of a request's parts, as the store once kept to recognise it."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), b"", body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def test_a_password_in_a_request_cannot_be_guessed_from_the_store(
    org: Org, pg_config: dict[str, Any]
) -> None:
    def body(password: str) -> bytes:
        configuration = {**pg_config, "password": password}
        document = {"name": "pg", "type": "postgresql", "configuration": configuration}
        return json.dumps({**document, "validate": False}).encode()

    sent = body("hunter2")
    response = org.client.post(
        "/api/connections",
        content=sent,
        headers={"Idempotency-Key": "guess-me-0001", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    with org.server.app.state.syncline.store.engine.connect() as connection:
        kept = connection.execute(
            sa.text("SELECT fingerprint FROM idempotency_keys WHERE key = 'guess-me-0001'")
        ).scalar_one()
    # Someone who can read the store tries passwords against what it keeps.
    guesses = ["123456", "password", "hunter2", "letmein"]
    found = [g for g in guesses if _unkeyed_digest("POST", "/api/connections", body(g)) == kept]
    assert found == []
