"""The OpenAPI document is true: what the routes answer is what it says.

Every route is swept with bad input (ids, bodies, query values, headers,
missing, wrong and other organizations' credentials; roles aside), and every
status observed must be documented for that operation, with the error
envelope as its schema.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from syncline.api.route_table import operations
from tests.api.conftest import Org, basic_auth
from tests.api.sync_fixtures import SyncSetup

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ENVELOPE_REF = "#/components/schemas/ApiError"
BAD_IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 300]
BAD_BODIES: list[Any] = [[], "text", 42, {}, {"name": None}, {"configuration": "x"}]
BAD_QUERY_VALUES = ["maybe", "-1", ""]


@dataclass
class Sweep:
    """The requests of the sweep, and what each answered."""

    doc: dict[str, Any]
    undocumented: list[tuple[str, str, int, str]] = field(default_factory=list)
    not_enveloped: list[tuple[str, str, int, str]] = field(default_factory=list)
    seen: set[tuple[str, str, int]] = field(default_factory=set)

    def send(self, client: TestClient, method: str, template: str, path: str, **kwargs: Any) -> int:
        response = client.request(method, path, follow_redirects=False, **kwargs)
        status = response.status_code
        self.seen.add((method, template, status))
        documented = self.doc["paths"][template][method.lower()]["responses"]
        what = f"{path} {kwargs.get('params') or ''} {str(kwargs.get('json'))[:40]}"
        if str(status) not in documented:
            self.undocumented.append((method, template, status, what))
        if status >= 400 and set(response.json()) != {"status", "message", "key", "metadata"}:
            self.not_enveloped.append((method, template, status, response.text[:200]))
        return status


def _own_ids(setup: SyncSetup, sync_id: str, execution_id: str) -> dict[str, str]:
    org = setup.org
    return {
        "org_id": org.id,
        "user_id": org.user_id,
        "connection_id": setup.connection_id,
        "model_id": setup.model_id,
        "sync_id": sync_id,
        "execution_id": execution_id,
        "type_id": "postgresql",
        "job_type": "createmodel",
        "job_id": "00000000-0000-0000-0000-000000000000",
        "log_type": "inserts",
        "filename": "inserts.jsonl",
        "property_id": "x",
        "signed": "forged.0123456789abcdef",
    }


def _plausible_bodies(setup: SyncSetup, pg: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """One well-formed body per operation, to reach the services' own refusals."""
    unreachable = {**pg, "port": 1}
    return {
        ("POST", "/api/organizations"): {"name": "swept"},
        ("POST", "/api/organizations/{org_id}/users"): {"email": "swept@example.com"},
        ("POST", "/api/connection_types/{type_id}/parameter_values"): {
            "configuration": unreachable
        },
        ("POST", "/api/connections"): {
            "name": "unreachable",
            "type": "postgresql",
            "configuration": unreachable,
        },
        ("POST", "/api/connections/test"): {"type": "postgresql", "configuration": unreachable},
        ("PUT", "/api/connections/{connection_id}"): {"name": "pg", "configuration": unreachable},
        ("POST", "/api/models"): {
            "name": "missing",
            "connection_id": setup.connection_id,
            "configuration": {"table": f"{setup.schema}.no_such_table"},
        },
        ("POST", "/api/model-preview"): {
            "connection_id": setup.connection_id,
            "configuration": {"query": "SELECT no_such_column FROM no_such_table"},
        },
        ("PUT", "/api/models/{model_id}"): {
            "name": "users",
            "connection_id": setup.connection_id,
            "configuration": {"table": f"{setup.schema}.no_such_table"},
        },
        ("POST", "/api/syncs"): setup.body(mode="create", target={"connection_id": "nope"}),
        ("PUT", "/api/syncs/{sync_id}"): setup.body(fields=[]),
        ("POST", "/api/syncs/{sync_id}/activate"): {"active": True},
        ("PUT", "/api/syncs/{sync_id}/error-handling"): {"notification_emails": ["not-email"]},
        ("POST", "/api/syncs/{sync_id}/executions"): {"source_identities": ["1"]},
    }


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for template, entries in doc["paths"].items():
        for method, entry in entries.items():
            yield method.upper(), template, entry


def _deletes_last(item: tuple[str, str, dict[str, Any]]) -> bool:
    return item[0] == "DELETE"


@pytest.fixture
def swept(setup: SyncSetup, other_org: Org, pg_config: dict[str, Any]) -> Sweep:
    org = setup.org
    created = setup.create(active=True)
    assert created.status_code == 200, created.text
    sync_id = created.json()["data"]["id"]
    started = org.client.post(f"/api/syncs/{sync_id}/executions", json={})
    assert started.status_code == 200, started.text
    own = _own_ids(setup, sync_id, started.json()["data"]["id"])
    bodies = _plausible_bodies(setup, pg_config)
    sweep = Sweep(org.client.get("/openapi.json").json())
    anonymous = TestClient(org.server.app)
    system = basic_auth(org.id)

    for method, template, entry in sorted(_operations(sweep.doc), key=_deletes_last):
        path = _fill(template, own)
        for bad in BAD_IDS:
            elsewhere = _fill(template, dict.fromkeys(own, bad))
            sweep.send(org.client, method, template, elsewhere)
            if (method, template) in bodies:
                sweep.send(org.client, method, template, elsewhere, json=bodies[(method, template)])
        for parameter in entry.get("parameters", []):
            if parameter["in"] == "query":
                for value in BAD_QUERY_VALUES:
                    params = {parameter["name"]: value}
                    sweep.send(org.client, method, template, path, params=params)
        for headers in (
            {},
            {"Authorization": "Bearer sl_not_a_key"},
            {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
            {"Authorization": "Token abc"},
        ):
            sweep.send(anonymous, method, template, path, headers=headers)
        sweep.send(other_org.client, method, template, path)
        sweep.send(org.client, method, template, path, headers={"X-Polytomic-Version": "1999"})
        sweep.send(org.client, method, template, path, content=b"{}", headers=_declares_1_gib())
        sweep.send(org.client, method, template, path)
        sweep.send(org.client, method, template, path, headers=system)
        if method not in WRITES:
            continue
        sweep.send(org.client, method, template, path, headers={"Idempotency-Key": "short"})
        sweep.send(org.client, method, template, path, content=b'{"name": ', headers=_json())
        sweep.send(org.client, method, template, path, content=b"name=x", headers=_form())
        for body in BAD_BODIES:
            sweep.send(org.client, method, template, path, json=body)
        if (method, template) in bodies:
            sweep.send(org.client, method, template, path, json=bodies[(method, template)])
            sweep.send(
                org.client, method, template, path, json=bodies[(method, template)], headers=system
            )
    return sweep


def _declares_1_gib() -> dict[str, str]:
    """A body that claims to be far above the limit (the in-process client sends it as is)."""
    return {"Content-Length": str(1 << 30)}


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


# The sweep answers with what the routes validate, the same on either metadata backend.
@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_every_status_a_route_answers_is_documented(swept: Sweep) -> None:
    assert swept.undocumented == [], "\n".join(map(str, swept.undocumented))
    assert swept.not_enveloped == []
    # The sweep reached the routes, not only the guard in front of them.
    statuses = {status for _, _, status in swept.seen}
    assert {200, 400, 401, 403, 404, 409, 413, 422} <= statuses


def test_documented_errors_use_the_envelope_schema(org: Org) -> None:
    doc = org.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    envelope = doc["components"]["schemas"]["ApiError"]
    assert set(envelope["required"]) == {"status", "message", "key", "metadata"}
    for method, template, entry in _operations(doc):
        for code, answer in entry["responses"].items():
            if int(code) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ENVELOPE_REF}, (method, template, code)


def test_every_route_is_in_the_document(org: Org) -> None:
    doc = org.client.get("/openapi.json").json()
    documented = {(m, t) for m, t, _ in _operations(doc)}
    routed = {
        (method, op.path)
        for op in operations(org.server.app)
        if op.include_in_schema
        for method in op.methods
    }
    assert routed, "no API route found"
    assert routed == documented


def test_security_schemes_are_bearer_and_basic(org: Org) -> None:
    doc = org.client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "bearer": ("http", "bearer"),
        "basic": ("http", "basic"),
    }
    for _method, _template, entry in _operations(doc):
        names = [p["name"].lower() for p in entry.get("parameters", [])]
        assert "authorization" not in names


def test_operations_declare_the_credentials_they_need(org: Org) -> None:
    doc = org.client.get("/openapi.json").json()
    anonymous = TestClient(org.server.app)
    unsecured = []
    for method, template, entry in _operations(doc):
        path = _fill(template, dict.fromkeys(re.findall(r"\{([^}]+)\}", template), "x"))
        status = anonymous.request(method, path, json={} if method in WRITES else None)
        if entry.get("security"):
            assert entry["security"] == [{"bearer": []}, {"basic": []}]
            assert status.status_code == 401, (method, template, status.text)
            assert "401" in entry["responses"]
        else:
            unsecured.append((method, template))
            assert status.status_code != 401, (method, template)
    # The download link is its own credential; everything else needs a header.
    assert unsecured == [("GET", "/api/downloads/{signed}")]
