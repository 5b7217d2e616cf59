"""No endpoint answers 500 to bad input: every route gets malformed requests."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from syncline.api.route_table import Operation, operations
from syncline.services.executions import sign_token
from syncline.ui.errors import is_ui_path
from tests.api.conftest import DEPLOYMENT_KEY, Org, basic_auth
from tests.api.sync_fixtures import SyncSetup

# Walks whose bad inputs are refused before they reach the store (ids by their form, keys
# and credentials as digests, bodies by their schema) run on one backend: PostgreSQL, the
# stricter store (it refuses NUL in text), should one slip through.
ON_POSTGRESQL = pytest.mark.parametrize("server", ["postgresql"], indirect=True)


BAD_IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "' OR 1=1 --", "x" * 300]
BAD_BODIES: list[Any] = [None, [], "text", 42, {}, {"name": None}, {"configuration": "x"}]


def _routes(org: Org) -> list[Operation]:
    """The API's routes. The UI's pages ignore an `Authorization` header (they read their
    session cookie): `tests/api/test_ui_roles.py` walks them signed in."""
    found = [route for route in operations(org.server.app) if not is_ui_path(route.path)]
    assert found, "no API routes found: the route walk no longer matches FastAPI"
    return found


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@ON_POSTGRESQL
def test_no_route_answers_500_to_bad_ids_and_bodies(org: Org) -> None:
    # Each bad id with no body and an empty one (so the route reaches its lookup), and
    # each bad body with an id of the right form that names nothing and with one the
    # store refuses (NUL): a body is validated before the id is looked at.
    cases = [(bad_id, body) for bad_id in BAD_IDS for body in (None, {})]
    cases += [(bad_id, body) for bad_id in (str(uuid.uuid4()), "%00") for body in BAD_BODIES]
    failures = []
    for route in _routes(org):
        for method in route.methods:
            for bad_id, body in cases:
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


# ------------------------------------------------ credentials, tokens and headers


def _b64(raw: bytes) -> bytes:
    return base64.b64encode(raw)


def _bad_authorizations(org: Org) -> list[bytes]:
    """Authorization values that name no caller, as raw header bytes."""
    key = DEPLOYMENT_KEY.encode()
    real = org.id.encode()
    return [
        b"Basic " + _b64(b"\xff\xfe:\xfd"),  # base64 of bytes that are not UTF-8
        "Basic caf\u00e9".encode(),  # not base64 at all, UTF-8 bytes
        b"Basic caf\xe9",  # not base64, a Latin-1 byte
        b"Basic !!!!",
        b"Basic " + _b64(b"no colon here"),
        b"Basic " + _b64(b":" + key),
        b"Basic " + _b64(b"not-a-uuid:" + key),
        b"Basic " + _b64(b"ab\x00cd:" + key),  # NUL: PostgreSQL refuses it in text
        b"Basic " + _b64(real[:10] + b"\x00" + real[11:] + b":" + key),
        b"Basic " + _b64(b"a" * 300 + b":" + key),
        b"Basic " + _b64(real.upper() + b":" + key),
        b"Basic " + _b64(b"00000000-0000-0000-0000-000000000000:" + key),
        b"Basic " + _b64(real + b":wrong\x00key"),
        b"Basic " + _b64(real + b":" + key + b"\xff"),
        b"Basic",
        b"Bearer",
        b"Bearer ab\x00cd",
        "Bearer caf\u00e9".encode(),
        b"Bearer \xe9\xff\x80",
        b"Bearer " + b"k" * 20_000,
        b"Token abc",
        b"\xff\xfe\xfd",
    ]


def _raw(org: Org, **headers: Any) -> TestClient:
    """A client that turns server errors into responses, so a sweep sees every 500."""
    return TestClient(org.server.app, raise_server_exceptions=False, headers=headers)


@ON_POSTGRESQL
def test_no_route_answers_500_to_bad_credentials(org: Org) -> None:
    """Bad credentials never answer 500, and a route that needs credentials answers 401."""
    client = _raw(org)
    failures = []
    for route in _routes(org):
        path = _fill(route.path, str(uuid.uuid4()))
        for method in route.methods:
            without = client.request(method, path, json={}).status_code
            for authorization in _bad_authorizations(org):
                response = client.request(
                    method, path, json={}, headers={"Authorization": authorization}
                )
                status = response.status_code
                if status >= 500 or (without == 401 and status != 401):
                    failures.append((method, route.path, authorization[:60], response.text))
    assert failures == []


def _token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _bad_query_values() -> list[tuple[str, str]]:
    """Query parameters holding values this server never issues."""
    sync_id = str(uuid.uuid4())
    recent = datetime.now(UTC).isoformat()
    tokens = [
        _token(["2020-01-01T00:00:00+00:00", "\x00"]),  # execution cursor, NUL id
        _token(["2020-01-01T00:00:00", sync_id]),  # naive time
        _token(["0001-01-01T00:00:00+14:00", sync_id]),  # before year 1 in UTC
        _token({"s": recent, "u": recent, "i": "\x00"}),  # sync listing, NUL id
        _token({"s": recent.removesuffix("+00:00"), "u": recent, "i": sync_id}),
        _token({"s": recent, "u": "0001-01-01T00:00:00+14:00", "i": sync_id}),
        _token({"s": recent, "u": recent, "i": ["x"]}),
        _token([[[]]]),
        "caf\u00e9",
        "\x00",
        "x" * 2_000,
    ]
    values = [("page_token", token) for token in tokens]
    for number in ("99999999999999999999999", "-99999999999999999999999", "1e400", "nan"):
        values += [("after", number), ("limit", number)]
    values += [
        ("target_connection_id", "\x00"),
        ("params[table]", "\x00"),
        ("params", '{"table": "\\u0000"}'),
        ("\x00", "x"),
    ]
    return values


def test_no_route_answers_500_to_bad_tokens_and_query_values(org: Org) -> None:
    client = _raw(org, Authorization=f"Bearer {org.key}")
    failures = []
    for route in _routes(org):
        path = _fill(route.path, str(uuid.uuid4()))
        for method in route.methods:
            for name, value in _bad_query_values():
                response = client.request(method, path, params={name: value}, json={})
                if response.status_code >= 500:
                    failures.append((method, route.path, name, value[:40], response.text))
    assert failures == []


BAD_PATH_IDS = ["%00", "a%00b", "caf%C3%A9", "%FF%FE", "%E9", "x" * 2_000, "%20", "."]


@ON_POSTGRESQL
def test_no_route_answers_500_to_bad_path_ids_with_or_without_credentials(org: Org) -> None:
    clients = [_raw(org, Authorization=f"Bearer {org.key}"), _raw(org)]
    failures = []
    for route in _routes(org):
        for method in route.methods:
            for bad_id in BAD_PATH_IDS:
                for client in clients:
                    response = client.request(method, _fill(route.path, bad_id), json={})
                    if response.status_code >= 500:
                        failures.append((method, route.path, bad_id, response.text))
    assert failures == []


BAD_HEADER_VALUES: list[bytes] = [
    b"",
    b" ",
    b"abc\x00defghij",
    "caf\u00e9-key-1234".encode(),
    b"\xe9\xff\x80\x81\x82\x83\x84\x85",
    b"k" * 256,
    b"k" * 20_000,
    b"2025-09-18\x00",
]


@ON_POSTGRESQL
def test_no_route_answers_500_to_odd_idempotency_keys_and_versions(org: Org) -> None:
    clients = [_raw(org, Authorization=f"Bearer {org.key}"), _raw(org)]
    failures = []
    for route in _routes(org):
        path = _fill(route.path, str(uuid.uuid4()))
        for method in route.methods:
            for value in BAD_HEADER_VALUES:
                for header in ("Idempotency-Key", "X-Polytomic-Version"):
                    for client in clients:
                        response = client.request(method, path, json={}, headers={header: value})
                        if response.status_code >= 500:
                            failures.append((method, route.path, header, value[:20], response.text))
    assert failures == []


def test_download_links_not_made_by_this_server_answer_404(org: Org) -> None:
    box = org.server.app.state.syncline.box
    execution_id = str(uuid.uuid4())

    def signed(payload: Any) -> str:
        token = _token(payload)
        return f"{token}.{sign_token(box, token)}"

    later = int(datetime.now(UTC).timestamp()) + 600
    links = [
        "abc.caf\u00e9",  # a signature that is not ASCII
        "caf\u00e9.abc",
        _token([execution_id, "inserts.jsonl", later]) + "." + "\u00e9" * 32,
        ".",
        "x" * 5_000,
        # Signed with the server's own key, but not what it ever signs:
        signed([execution_id, "inserts.jsonl", "soon"]),  # a non-numeric expiry
        signed([execution_id, "inserts.jsonl", None]),
        signed([execution_id, "inserts.jsonl", [later]]),
        signed([execution_id, "inserts.jsonl", "nan"]),
        signed([execution_id, "inserts.jsonl", True]),
        signed([execution_id, "inserts.jsonl", float(later)]),
        signed([execution_id, ["inserts.jsonl"], later]),
        signed(["\x00", "inserts.jsonl", later]),
        signed(["../../secret.key", "inserts.jsonl", later]),
        signed({"a": 1, "b": 2, "c": 3}),
        signed("abc"),
        signed(42),
    ]
    client = _raw(org)
    answers = [(link, client.get(f"/api/downloads/{link}").status_code) for link in links]
    assert answers == [(link, 404) for link in links]


NUL_BODIES: list[Any] = [
    {"name": "a\x00b", "type": "sqlite", "configuration": {"path": "/srv/x"}, "validate": False},
    {"name": "a", "type": "postgresql", "configuration": {"hostname": "h\x00"}, "validate": False},
    {"name": "a", "email": "a\x00@example.com", "role": "admin"},
    {"name": "a", "connection_id": "\x00", "configuration": {"table": "x"}, "field": "database"},
    {"name": "a", "connection_id": "\x00", "configuration": {}, "type": "postgresql"},
    {"name": "a", "configuration": {"\x00": "x"}},
    {"active": True, "identities": ["\x00"], "test": True},
]


def test_no_route_answers_500_to_nul_in_a_body(org: Org) -> None:
    clients = [_raw(org, Authorization=f"Bearer {org.key}"), _raw(org, **basic_auth(org.id))]
    failures = []
    for route in _routes(org):
        path = _fill(route.path, org.id if "{org_id}" in route.path else str(uuid.uuid4()))
        for method in route.methods - {"GET"}:
            for body in NUL_BODIES:
                for client in clients:
                    response = client.request(method, path, json=body)
                    if response.status_code >= 500:
                        failures.append((method, route.path, body, response.text))
    assert failures == []


def test_no_nul_in_a_valid_sync_or_model_answers_500(setup: SyncSetup) -> None:
    sync = setup.body(schedule={"frequency": "runafter", "run_after": {"sync_ids": ["x"]}})
    model = {
        "name": "m",
        "connection_id": setup.connection_id,
        "configuration": {"table": f"{setup.schema}.users"},
        "fields": ["id", "email"],
        "identifier": "id",
    }
    client = _raw(setup.org, Authorization=f"Bearer {setup.org.key}")
    failures = []
    for route, body in (("/api/syncs", sync), ("/api/models", model)):
        for path in _paths(body):
            response = client.post(route, json=_mutated(body, path, "a\x00b"))
            if response.status_code >= 500:
                failures.append((route, path, response.text))
    assert failures == []
