"""`Idempotency-Key`: the first outcome is replayed, conflicts are refused."""

from __future__ import annotations

import threading
from typing import Any

from tests.api.conftest import Org


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
