"""No endpoint answers 500 to bad input: every route gets malformed requests."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.api.conftest import Org
from tests.api.sync_fixtures import SyncSetup

BAD_IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "' OR 1=1 --", "x" * 300]
BAD_BODIES: list[Any] = [None, [], "text", 42, {}, {"name": None}, {"configuration": "x"}]


def _routes(org: Org) -> list[APIRoute]:
    return [r for r in org.server.app.routes if isinstance(r, APIRoute)]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_no_route_answers_500_to_bad_ids_and_bodies(org: Org) -> None:
    failures = []
    for route in _routes(org):
        for method in route.methods:
            for bad_id in BAD_IDS:
                for body in BAD_BODIES:
                    response = org.client.request(method, _fill(route.path, bad_id), json=body)
                    if response.status_code >= 500:
                        failures.append((method, route.path, bad_id, body, response.text))
    assert failures == []


def test_errors_always_use_the_envelope(org: Org) -> None:
    for route in _routes(org):
        for method in route.methods:
            response = org.client.request(method, _fill(route.path, "nope"), json=[])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"status", "message", "key", "metadata"}, route.path
                assert body["status"] == response.status_code


@pytest.mark.parametrize(
    "params",
    [
        {"params[table]": ""},
        {"params[query]": ""},
        {"params[query]": "DROP TABLE x"},
        {"params[table]": "a.b.c.d"},
        {"params[table]": '"; DROP SCHEMA public; --'},
        {"params[]": "x"},
        {"params[table]": "x", "params[query]": "SELECT 1"},
    ],
)
def test_source_fields_refuse_bad_configurations_with_4xx(
    org: Org, pg_config: dict[str, Any], params: dict[str, str]
) -> None:
    created = org.client.post(
        "/api/connections", json={"name": "pg", "type": "postgresql", "configuration": pg_config}
    ).json()["data"]
    response = org.client.get(
        f"/api/connections/{created['id']}/modelsync/source/fields", params=params
    )
    assert 400 <= response.status_code < 500, response.text


MUTANTS: list[Any] = [None, -1, "", "x" * 300, [], {}, [{"a": 1}], True, 1e308]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document, containers included."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutated(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


def test_no_mutation_of_a_valid_sync_answers_500(setup: SyncSetup) -> None:
    body = setup.body(
        model_filters={
            "conditions": [{"source": setup.source("plan"), "function": "Equality", "value": "a"}]
        },
        override_fields=[{"target": "plan", "override_value": "x"}],
        overrides=[{"field": setup.source("name"), "function": "IsNull", "override": "n/a"}],
    )
    assert setup.org.client.post("/api/syncs", json=body).status_code == 200
    failures = []
    for path in _paths(body):
        for value in MUTANTS:
            response = setup.org.client.post("/api/syncs", json=_mutated(body, path, value))
            if response.status_code >= 500:
                failures.append((path, value, response.text))
    assert failures == []


def test_no_mutation_of_a_valid_model_answers_500(setup: SyncSetup) -> None:
    body = {
        "name": "m",
        "connection_id": setup.connection_id,
        "configuration": {"table": f"{setup.schema}.users"},
        "fields": ["id", "email"],
        "additional_fields": [{"name": "extra", "label": "Extra", "type": "string"}],
        "identifier": "id",
        "tracking_columns": ["email"],
        "labels": ["a"],
    }
    assert setup.org.client.post("/api/models", json=body).status_code == 200
    failures = []
    for path in _paths(body):
        for value in MUTANTS:
            response = setup.org.client.post("/api/models", json=_mutated(body, path, value))
            if response.status_code >= 500:
                failures.append((path, value, response.text))
    assert failures == []
