"""Built-in roles: every route answers 403 below its lowest role, before anything else.

`LOWEST` is the table of routes x roles. A route the app serves without a row,
or a row the app does not serve, fails the suite; each row is then called with
a viewer, a user, an admin and the deployment key of a fresh organization.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from syncline.api.route_table import operations
from syncline.store.organizations import OrganizationRepository, generate_api_key
from syncline.ui.errors import is_ui_path
from tests.api.conftest import Org, Server, add_member, basic_auth
from tests.api.sync_fixtures import SyncSetup

VIEWER, USER, ADMIN = "viewer", "user", "admin"
DEPLOYMENT = "deployment key"
NO_CREDENTIAL = "no credential"

LOWEST: dict[tuple[str, str], str] = {
    ("GET", "/api/me"): VIEWER,
    ("GET", "/api/organization"): VIEWER,
    ("GET", "/api/organizations"): VIEWER,
    ("POST", "/api/organizations"): DEPLOYMENT,
    ("GET", "/api/organizations/{org_id}"): VIEWER,
    ("POST", "/api/organizations/{org_id}/users"): ADMIN,
    ("POST", "/api/organizations/{org_id}/users/{user_id}/keys"): ADMIN,
    ("GET", "/api/connection_types"): VIEWER,
    ("GET", "/api/connection_types/{type_id}"): VIEWER,
    ("POST", "/api/connection_types/{type_id}/parameter_values"): USER,
    ("GET", "/api/connections"): VIEWER,
    ("POST", "/api/connections"): USER,
    ("POST", "/api/connections/test"): USER,
    ("GET", "/api/connections/{connection_id}"): VIEWER,
    ("PUT", "/api/connections/{connection_id}"): USER,
    ("DELETE", "/api/connections/{connection_id}"): USER,
    ("GET", "/api/connections/{connection_id}/parameter_values"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/source"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/source/fields"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/enrichment-source"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/targetobjects"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/target"): VIEWER,
    ("GET", "/api/connections/{connection_id}/modelsync/target/fields"): VIEWER,
    (
        "GET",
        "/api/connections/{connection_id}/modelsync/targetobjects/properties/{property_id}",
    ): VIEWER,
    ("GET", "/api/models"): VIEWER,
    ("POST", "/api/models"): USER,
    ("POST", "/api/model-preview"): USER,
    ("GET", "/api/models/{model_id}"): VIEWER,
    ("PUT", "/api/models/{model_id}"): USER,
    ("DELETE", "/api/models/{model_id}"): USER,
    ("GET", "/api/models/{model_id}/sample"): VIEWER,
    ("GET", "/api/jobs/{job_type}/{job_id}"): VIEWER,
    ("GET", "/api/syncs"): VIEWER,
    ("POST", "/api/syncs"): USER,
    ("GET", "/api/syncs/schedules"): VIEWER,
    ("GET", "/api/syncs/{sync_id}"): VIEWER,
    ("PUT", "/api/syncs/{sync_id}"): USER,
    ("DELETE", "/api/syncs/{sync_id}"): USER,
    ("POST", "/api/syncs/{sync_id}/activate"): USER,
    ("GET", "/api/syncs/{sync_id}/error-handling"): VIEWER,
    ("PUT", "/api/syncs/{sync_id}/error-handling"): USER,
    ("POST", "/api/syncs/{sync_id}/executions"): USER,
    ("GET", "/api/syncs/{sync_id}/status"): VIEWER,
    ("POST", "/api/syncs/{sync_id}/cancel"): USER,
    ("GET", "/api/syncs/{sync_id}/executions"): VIEWER,
    ("GET", "/api/syncs/{sync_id}/executions/{execution_id}"): VIEWER,
    ("PUT", "/api/syncs/{sync_id}/executions/{execution_id}"): USER,
    ("POST", "/api/syncs/{sync_id}/executions/{execution_id}/cancel"): USER,
    ("GET", "/api/syncs/{sync_id}/executions/{execution_id}/consolelog"): VIEWER,
    ("GET", "/api/syncs/{sync_id}/executions/{execution_id}/logs"): VIEWER,
    ("GET", "/api/syncs/{sync_id}/executions/{execution_id}/{log_type}"): VIEWER,
    ("GET", "/api/syncs/{sync_id}/executions/{execution_id}/{log_type}/{filename}"): VIEWER,
    ("GET", "/api/downloads/{signed}"): NO_CREDENTIAL,
    ("GET", "/docs"): NO_CREDENTIAL,
}

# The callers of the walk, least to most; `LOWEST` values name the first one let through.
RANK = {VIEWER: 0, USER: 1, ADMIN: 2, DEPLOYMENT: 3}


def _served(server: Server) -> set[tuple[str, str]]:
    """The API's routes; the UI's pages have their own table (`test_ui_roles.PAGES`)."""
    return {
        (method, route.path)
        for route in operations(server.app)
        for method in route.methods
        if method != "HEAD" and not is_ui_path(route.path)
    }


def test_the_roles_table_lists_exactly_the_routes_the_app_serves(server: Server) -> None:
    served = _served(server)
    assert sorted(served - set(LOWEST)) == [], "routes without a row in LOWEST"
    assert sorted(set(LOWEST) - served) == [], "rows of LOWEST the app does not serve"


def _permitted(caller: str, lowest: str) -> bool:
    if lowest == NO_CREDENTIAL:
        return True
    return RANK[caller] >= RANK[lowest]


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def test_every_route_refuses_roles_below_its_lowest_and_admits_the_rest(org: Org) -> None:
    viewer = add_member(org, VIEWER)
    user = add_member(org, USER)
    callers: dict[str, TestClient] = {
        VIEWER: viewer.client,
        USER: user.client,
        ADMIN: org.client,
        DEPLOYMENT: TestClient(org.server.app, headers=basic_auth(org.id)),
    }
    # The caller's own organization and a real user, so an admin passes tenancy; every
    # other id names nothing, so a refusal that came after a lookup would answer 404.
    values = {
        "org_id": org.id,
        "user_id": viewer.user_id,
        "type_id": "postgresql",
        "job_type": "createmodel",
        "log_type": "inserts",
        "filename": "inserts-0.jsonl",
        "property_id": "schema",
        "signed": "not-a-token.0000",
    }
    wrong: list[tuple[str, str, str, int, str]] = []
    for (method, template), lowest in LOWEST.items():
        path = _fill(template, values)
        body: Any = {} if method in {"POST", "PUT"} else None
        for name, client in callers.items():
            response = client.request(method, path, json=body)
            if _permitted(name, lowest):
                if response.status_code == 403:
                    wrong.append((method, template, name, 403, response.text))
                continue
            answer = response.json() if response.status_code == 403 else {}
            refused = (
                answer.get("key") == "forbidden"
                and set(answer) == {"status", "message", "key", "metadata"}
                and f"needs the {lowest}" in answer.get("message", "")
            )
            if not refused:
                wrong.append((method, template, name, response.status_code, response.text))
    assert wrong == []


def test_a_signed_link_route_needs_no_credential(server: Server) -> None:
    response = server.client.get("/api/downloads/not-a-token.0000")
    assert response.status_code == 404


def _envelope_403(response: Any, needs: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["key"] == "forbidden"
    assert f"needs the {needs}" in body["message"]


def test_a_viewer_cannot_create_a_connection(org: Org, pg_config: dict[str, Any]) -> None:
    viewer = add_member(org, VIEWER)
    response = viewer.client.post(
        "/api/connections", json={"name": "pg", "type": "postgresql", "configuration": pg_config}
    )
    _envelope_403(response, "user role")
    assert "viewer" in response.json()["message"]
    assert org.client.get("/api/connections").json()["data"] == []


def test_a_viewer_reads_a_sync_and_its_objects_but_changes_and_runs_nothing(
    setup: SyncSetup,
) -> None:
    created = setup.create()
    assert created.status_code == 200, created.text
    sync_id = created.json()["data"]["id"]
    viewer = add_member(setup.org, VIEWER)
    for path in (
        f"/api/connections/{setup.connection_id}",
        f"/api/models/{setup.model_id}",
        f"/api/syncs/{sync_id}",
        f"/api/syncs/{sync_id}/executions",
        "/api/syncs",
    ):
        assert viewer.client.get(path).status_code == 200, path
    _envelope_403(viewer.client.put(f"/api/syncs/{sync_id}", json=setup.body()), "user role")
    _envelope_403(viewer.client.post(f"/api/syncs/{sync_id}/executions", json={}), "user role")
    _envelope_403(viewer.client.delete(f"/api/models/{setup.model_id}"), "user role")
    assert viewer.client.get(f"/api/syncs/{sync_id}/executions").json()["data"] == []
    assert viewer.client.get(f"/api/models/{setup.model_id}").status_code == 200


def test_a_user_changes_syncs_but_not_users_or_keys(setup: SyncSetup) -> None:
    user = add_member(setup.org, USER)
    created = user.client.post("/api/syncs", json=setup.body())
    assert created.status_code == 200, created.text
    org_id = setup.org.id
    _envelope_403(
        user.client.post(f"/api/organizations/{org_id}/users", json={"email": "a@example.com"}),
        "admin role",
    )
    _envelope_403(
        user.client.post(f"/api/organizations/{org_id}/users/{user.user_id}/keys"), "admin role"
    )


def test_an_admin_key_creates_users_and_keys_in_its_own_organization(org: Org) -> None:
    made = org.client.post(
        f"/api/organizations/{org.id}/users", json={"email": "new@example.com", "role": "viewer"}
    )
    assert made.status_code == 200, made.text
    assert made.json()["data"]["role"] == "viewer"
    user_id = made.json()["data"]["id"]
    key = org.client.post(f"/api/organizations/{org.id}/users/{user_id}/keys")
    assert key.status_code == 200, key.text
    value = key.json()["data"]["value"]
    me = org.server.client.get("/api/me", headers={"Authorization": f"Bearer {value}"})
    assert me.json()["data"]["id"] == user_id
    assert me.json()["data"]["role"] == "viewer"


def test_an_admin_key_reaches_no_other_organizations_users(org: Org, other_org: Org) -> None:
    users = f"/api/organizations/{other_org.id}/users"
    made = org.client.post(users, json={"email": "intruder@example.com", "role": "admin"})
    assert made.status_code == 404, made.text
    key = org.client.post(f"{users}/{other_org.user_id}/keys?force=true")
    assert key.status_code == 404, key.text
    assert other_org.client.get("/api/me").status_code == 200


def test_an_unknown_role_is_refused_when_a_user_is_created(server: Server, org: Org) -> None:
    response = server.client.post(
        f"/api/organizations/{org.id}/users",
        json={"email": "someone@example.com", "role": "superuser"},
        headers=basic_auth(org.id),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["metadata"]["path"] == "role"
    assert "viewer" in body["message"]


def test_me_shows_the_role_the_credential_acts_with(server: Server, org: Org) -> None:
    viewer = add_member(org, VIEWER)
    assert viewer.client.get("/api/me").json()["data"]["role"] == "viewer"
    assert org.client.get("/api/me").json()["data"]["role"] == "admin"
    deployment = server.client.get("/api/me", headers=basic_auth(org.id)).json()["data"]
    assert deployment["role"] == "admin"


def test_a_stored_role_syncline_does_not_know_acts_as_viewer(
    org: Org, pg_config: dict[str, Any]
) -> None:
    store = org.server.app.state.syncline.store
    key = generate_api_key()
    with store.session() as session:
        repo = OrganizationRepository(session)
        repo.add_api_key(repo.add_user(org.id, "legacy@example.com", "owner"), key)
    legacy = TestClient(org.server.app, headers={"Authorization": f"Bearer {key}"})
    assert legacy.get("/api/connections").status_code == 200
    assert legacy.get("/api/me").json()["data"]["role"] == "viewer"
    response = legacy.post(
        "/api/connections", json={"name": "pg", "type": "postgresql", "configuration": pg_config}
    )
    _envelope_403(response, "user role")


def test_an_idempotent_replay_never_hands_one_callers_answer_to_another(
    server: Server, org: Org
) -> None:
    viewer = add_member(org, VIEWER)
    headers = {"Idempotency-Key": "mint-the-owners-key"}
    path = f"/api/organizations/{org.id}/users/{org.user_id}/keys"
    minted = server.client.post(path, headers={**basic_auth(org.id), **headers})
    assert minted.status_code == 200, minted.text
    replayed = viewer.client.post(path, headers=headers)
    assert minted.json()["data"]["value"] not in replayed.text
    assert replayed.status_code == 422, replayed.text
    assert "Idempotency-Key" in replayed.json()["message"]
