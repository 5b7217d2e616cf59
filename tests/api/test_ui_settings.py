"""The settings page over HTTP (no browser): API keys shown once and revoked, users,
the organization's name, and who may manage them."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Org, add_member
from tests.ui.signin import page_token, signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


_NEW_KEY = re.compile(r'id="new-key"[^>]*value="([^"]+)"')
_KEY_ROW = re.compile(r'data-key="([^"]+)"')
_CURRENT_KEY = re.compile(
    r'<code>([^<]+)</code> <span class="badge badge-busy">this sign-in</span>'
)


def _api(org: Org, key: str) -> TestClient:
    return TestClient(org.server.app, headers={"Authorization": f"Bearer {key}"})


def _key_ids(client: TestClient) -> set[str]:
    return set(_KEY_ROW.findall(client.get("/settings").text))


def _create_key(client: TestClient, user_id: str) -> str:
    """Make a key through the page and read it off the answer, the one place it shows."""
    token = page_token(client.get("/settings").text)
    answer = client.post("/settings/keys", data={"csrf_token": token, "user_id": user_id})
    assert answer.status_code == 200, answer.text
    assert "it will not be shown again" in answer.text
    found = _NEW_KEY.search(answer.text)
    assert found, "the answer shows no key"
    return found.group(1)


def _post(client: TestClient, path: str, **fields: str) -> httpx.Response:
    token = page_token(client.get("/settings").text)
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def test_an_admin_s_new_key_is_shown_once_and_works_on_the_api(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    before = _key_ids(client)
    key = _create_key(client, org.user_id)
    page = client.get("/settings")
    assert key not in page.text
    assert len(_KEY_ROW.findall(page.text)) == len(before) + 1
    me = _api(org, key).get("/api/me")
    assert me.status_code == 200
    assert me.json()["data"]["email"] == "owner@example.com"


def test_revoking_a_key_refuses_it_on_the_api_and_ends_its_sign_ins(org: Org) -> None:
    member = add_member(org, "user")
    admin = signed_in(org.server.app, org.key)
    before = _key_ids(admin)
    key = _create_key(admin, member.user_id)
    (key_id,) = _key_ids(admin) - before
    elsewhere = signed_in(org.server.app, key)
    assert elsewhere.get("/", follow_redirects=False).status_code == 200

    confirm = admin.get(f"/settings/keys/{key_id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke key" in confirm.text
    assert "signs you out" not in confirm.text
    answer = _post(admin, f"/settings/keys/{key_id}/revoke")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/settings?done=revoked"

    assert _api(org, key).get("/api/me").status_code == 401
    assert elsewhere.get("/", follow_redirects=False).status_code == 303
    assert key_id not in _key_ids(admin)
    assert member.client.get("/api/me").status_code == 200


def test_revoking_the_key_of_one_s_own_sign_in_warns_and_signs_out(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    found = _CURRENT_KEY.search(client.get("/settings").text)
    assert found, "the page does not mark the key of this sign-in"
    key_id = found.group(1)
    confirm = client.get(f"/settings/keys/{key_id}/revoke")
    assert "You are signed in with this key: revoking it signs you out." in confirm.text
    answer = _post(client, f"/settings/keys/{key_id}/revoke")
    assert answer.headers["location"] == "/signin"
    assert client.get("/settings", follow_redirects=False).status_code == 303
    assert org.client.get("/api/me").status_code == 401


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_users_and_viewers_see_their_account_and_no_key_controls(org: Org, role: str) -> None:
    member = add_member(org, role)
    client = signed_in(org.server.app, member.key)
    page = client.get("/settings")
    assert page.status_code == 200
    assert f"<dt>Role</dt><dd>{role}</dd>" in page.text
    assert "Ask an admin" in page.text
    for control in ("/settings/keys", "/settings/users", "/settings/organization", "data-key="):
        assert control not in page.text
    admin = signed_in(org.server.app, org.key)
    (key_id, *_) = _key_ids(admin)
    token = page_token(page.text)
    for path, fields in (
        ("/settings/keys", {"user_id": member.user_id}),
        (f"/settings/keys/{key_id}/revoke", {}),
        ("/settings/organization", {"name": "Taken over"}),
        ("/settings/users", {"email": "intruder@example.com", "role": "admin"}),
    ):
        answer = client.post(path, data={"csrf_token": token, **fields})
        assert answer.status_code == 403, path
        assert "needs the admin role" in answer.text
    assert client.get(f"/settings/keys/{key_id}/revoke").status_code == 403
    assert org.client.get("/api/me").status_code == 200
    assert org.client.get("/api/organization").json()["data"]["name"] != "Taken over"
    assert "intruder@example.com" not in admin.get("/settings").text


def test_another_organization_s_key_and_user_are_not_found(org: Org, other_org: Org) -> None:
    (key_id,) = _key_ids(signed_in(org.server.app, org.key))
    stranger = signed_in(other_org.server.app, other_org.key)
    confirm = stranger.get(f"/settings/keys/{key_id}/revoke")
    assert confirm.status_code == 404
    assert "text/html" in confirm.headers["content-type"]
    assert _post(stranger, f"/settings/keys/{key_id}/revoke").status_code == 404
    assert _post(stranger, "/settings/keys", user_id=org.user_id).status_code == 404
    assert org.client.get("/api/me").status_code == 200


def test_a_renamed_organization_shows_on_the_page_and_through_the_api(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    answer = _post(client, "/settings/organization", name="  Acme Data  ")
    assert answer.headers["location"] == "/settings?done=renamed"
    page = client.get(answer.headers["location"])
    assert '<dd id="organization-name">Acme Data</dd>' in page.text
    assert "· Acme Data ·" in page.text
    assert "The organization&#39;s name is changed." in page.text
    assert org.client.get("/api/organization").json()["data"]["name"] == "Acme Data"


@pytest.mark.parametrize(
    ("name", "message"), [("   ", "enter a name"), ("x" * 256, "at most 255 characters")]
)
def test_a_blank_or_long_name_is_refused_beside_its_field(
    org: Org, name: str, message: str
) -> None:
    before = org.client.get("/api/organization").json()["data"]["name"]
    client = signed_in(org.server.app, org.key)
    answer = _post(client, "/settings/organization", name=name)
    assert answer.status_code == 422
    text = answer.text
    assert re.search(r'<p class="field-error" id="org-name-error">[^<]*' + message, text)
    assert 'aria-describedby="org-name-error"' in text
    assert org.client.get("/api/organization").json()["data"]["name"] == before


def test_an_admin_adds_a_user_who_acts_with_the_chosen_role(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    answer = _post(client, "/settings/users", email="ada@example.com", role="viewer")
    assert answer.headers["location"] == "/settings?done=user-added"
    page = client.get("/settings").text
    row = re.search(r'<tr data-user="([^"]+)">\s*<td>ada@example.com</td>\s*<td>viewer</td>', page)
    assert row, "the new user is not listed with the role"
    key = _create_key(client, row.group(1))
    me = _api(org, key).get("/api/me").json()["data"]
    assert (me["email"], me["role"]) == ("ada@example.com", "viewer")


def test_a_bad_email_and_role_are_shown_beside_their_fields(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    answer = _post(client, "/settings/users", email="not-an-email", role="owner")
    assert answer.status_code == 422
    text = answer.text
    assert re.search(r'id="user-email-error">enter an e-mail address such as', text)
    assert re.search(r'id="user-role-error">choose one of viewer, user, admin', text)
    assert 'value="not-an-email"' in text
    assert 'aria-describedby="user-role-error"' in text


def test_an_email_already_in_use_is_shown_beside_its_field(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    answer = _post(client, "/settings/users", email="owner@example.com", role="user")
    assert answer.status_code == 409
    assert re.search(r'id="user-email-error">a user with e-mail', answer.text)
