"""Authentication, the version header and the error envelope."""

from __future__ import annotations

import base64

from tests.api.conftest import ADMIN_KEY, Org, Server, basic_auth


def _is_envelope(body: dict[str, object], status: int) -> None:
    assert body["status"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["key"], str)
    assert isinstance(body["metadata"], dict)


def test_missing_credentials_answer_401_envelope(server: Server) -> None:
    response = server.client.get("/api/me")
    assert response.status_code == 401
    _is_envelope(response.json(), 401)
    assert "Bearer" in response.json()["message"]


def test_unknown_api_key_answers_401(server: Server) -> None:
    response = server.client.get("/api/me", headers={"Authorization": "Bearer sl_not_a_key"})
    assert response.status_code == 401
    assert response.json()["message"] == "invalid API key"


def test_unsupported_scheme_answers_401(server: Server) -> None:
    response = server.client.get("/api/me", headers={"Authorization": "Token abc"})
    assert response.status_code == 401
    _is_envelope(response.json(), 401)


def test_configured_api_key_is_the_first_admins_key(server: Server) -> None:
    response = server.client.get("/api/me", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200
    me = response.json()["data"]
    assert me["is_user"] is True
    assert me["email"] == "admin@localhost"
    assert me["organization_name"] == "Syncline"


def test_me_describes_an_org_users_key(org: Org) -> None:
    me = org.client.get("/api/me").json()["data"]
    assert me["id"] == org.user_id
    assert me["organization_id"] == org.id
    assert me["email"] == "owner@example.com"
    assert me["is_user"] is True
    assert me["is_system"] is False
    assert me["credential"]["method"] == "api_key"


def test_deployment_key_acts_inside_the_named_organization(server: Server, org: Org) -> None:
    response = server.client.get("/api/me", headers=basic_auth(org.id))
    assert response.status_code == 200
    me = response.json()["data"]
    assert me["organization_id"] == org.id
    assert me["is_system"] is True
    assert me["is_user"] is False
    assert me["id"] is None


def test_wrong_deployment_key_answers_401(server: Server, org: Org) -> None:
    response = server.client.get("/api/me", headers=basic_auth(org.id, "wrong"))
    assert response.status_code == 401
    assert "wrong" not in response.json()["message"]


def test_deployment_key_for_unknown_organization_answers_401(server: Server) -> None:
    response = server.client.get("/api/me", headers=basic_auth("not-an-org"))
    assert response.status_code == 401


def test_malformed_basic_credentials_answer_401(server: Server) -> None:
    response = server.client.get("/api/me", headers={"Authorization": "Basic !!!"})
    assert response.status_code == 401
    assert "base64" in response.json()["message"]


def test_user_key_cannot_administer_organizations(org: Org) -> None:
    response = org.client.post("/api/organizations", json={"name": "x"})
    assert response.status_code == 403
    _is_envelope(response.json(), 403)


def test_minting_a_key_with_force_revokes_the_old_one(server: Server, org: Org) -> None:
    minted = server.client.post(
        f"/api/organizations/{org.id}/users/{org.user_id}/keys?force=true",
        headers=basic_auth(org.id),
    )
    assert minted.status_code == 200
    new_key = minted.json()["data"]["value"]
    old = server.client.get("/api/me", headers={"Authorization": f"Bearer {org.key}"})
    new = server.client.get("/api/me", headers={"Authorization": f"Bearer {new_key}"})
    assert old.status_code == 401
    assert new.status_code == 200


def test_duplicate_user_email_answers_422(server: Server, org: Org) -> None:
    # Both SDKs declare 403 and 422 for users.create, and would retry a 409.
    response = server.client.post(
        f"/api/organizations/{org.id}/users",
        json={"email": "owner@example.com"},
        headers=basic_auth(org.id),
    )
    assert response.status_code == 422
    assert response.json()["key"] == "conflict"


def test_version_header_defaults_and_is_echoed(org: Org) -> None:
    # The TypeScript SDK sends no version and expects 2024-02-08's shapes.
    plain = org.client.get("/api/me")
    assert plain.headers["X-Polytomic-Version"] == "2024-02-08"
    latest = org.client.get("/api/me", headers={"X-Polytomic-Version": "2025-09-18"})
    assert latest.status_code == 200
    assert latest.headers["X-Polytomic-Version"] == "2025-09-18"


def test_unsupported_version_answers_400(org: Org) -> None:
    response = org.client.get("/api/me", headers={"X-Polytomic-Version": "1999-01-01"})
    assert response.status_code == 400
    assert "2025-09-18" in response.json()["message"]


def test_unknown_route_answers_404_envelope(org: Org) -> None:
    response = org.client.get("/api/nothing/here")
    assert response.status_code == 404
    _is_envelope(response.json(), 404)


def test_wrong_method_answers_405_envelope(org: Org) -> None:
    response = org.client.delete("/api/me")
    assert response.status_code == 405
    _is_envelope(response.json(), 405)


def test_malformed_json_answers_400(org: Org) -> None:
    response = org.client.post(
        "/api/connections", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["key"] == "invalid_json"


def test_non_object_body_answers_422_naming_the_body(org: Org) -> None:
    response = org.client.post("/api/connections", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["message"].startswith("body:")


def test_basic_header_is_not_mistaken_for_bearer(server: Server) -> None:
    token = base64.b64encode(ADMIN_KEY.encode()).decode()
    response = server.client.get("/api/me", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401
