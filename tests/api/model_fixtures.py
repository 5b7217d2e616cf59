"""Helpers shared by the model and job tests (functions only: fixtures stay in their modules)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Org


def connection(org: Org, type_id: str, config: dict[str, Any]) -> str:
    """A new connection of `org`."""
    response = org.client.post(
        "/api/connections", json={"name": type_id, "type": type_id, "configuration": config}
    )
    assert response.status_code == 200, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def create(org: Org, body: dict[str, Any]) -> dict[str, Any]:
    """Create a model and return it."""
    response = org.client.post("/api/models", json=body)
    assert response.status_code == 200, response.text
    model: dict[str, Any] = response.json()["data"]
    return model
