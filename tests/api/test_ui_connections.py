"""The connection pages over HTTP (no browser): list, create, edit, test and delete, with
forms made from each type's schema, through the same service as the API."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from syncline.connectors.registry import connector_classes
from syncline.services.auth import Principal
from syncline.services.connections import ConnectionService
from tests.api.conftest import Org, add_member
from tests.ui.signin import form_token, page_token, signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


SECRET = "pw-" + uuid.uuid4().hex
"""A password PostgreSQL ignores (the test server trusts its clients), so it may be
anything, and so a page showing it is easy to spot."""

HTMX = {"HX-Request": "true"}


@pytest.fixture
def signed(org: Org) -> TestClient:
    """The organization's admin, signed in to the UI."""
    return signed_in(org.server.app, org.key)


def _token(client: TestClient) -> str:
    return page_token(client.get("/connections").text)


def _pg_form(client: TestClient, pg_config: dict[str, Any], **changes: str) -> dict[str, str]:
    """The new-connection form of a `postgresql` connection, filled in as a person would."""
    form = {
        "csrf_token": _token(client),
        "type": "postgresql",
        "name": "warehouse",
        "configuration.hostname": str(pg_config["hostname"]),
        "configuration.port": str(pg_config["port"]),
        "configuration.database": str(pg_config["database"]),
        "configuration.username": str(pg_config["username"]),
        "configuration.password": "",
        "check": "on",
    }
    return {**form, **changes}


def _api_connection(org: Org, pg_config: dict[str, Any], password: str = SECRET) -> str:
    answer = org.client.post(
        "/api/connections",
        json={
            "name": "warehouse",
            "type": "postgresql",
            "configuration": {**pg_config, "password": password},
        },
    )
    assert answer.status_code == 200, answer.text
    connection_id: str = answer.json()["data"]["id"]
    return connection_id


def _edit_form(client: TestClient, connection_id: str) -> dict[str, str]:
    """The edit form's fields as the page serves them (checkboxes as a browser sends them)."""
    page = client.get(f"/connections/{connection_id}/edit").text
    fields = {"csrf_token": form_token(page)}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = html.unescape(value.group(1)) if value else "on"
    return fields


def _stored_password(org: Org, connection_id: str) -> str:
    state = org.server.app.state.syncline
    principal = Principal(organization_id=org.id, organization_name="", method="api_key")
    service = ConnectionService(state.store, state.box, state.settings, principal)
    password: str = state.box.decrypt(service.get(connection_id).secrets).get("password", "")
    return password


def _field_error(page: str, control_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{control_id}-error">([^<]*)</p>', page)
    assert found, f"no message next to {control_id}"
    return html.unescape(found.group(1))


def test_a_connection_created_with_the_form_is_the_apis(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    answer = signed.post(
        "/connections/new", data=_pg_form(signed, pg_config), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    found = org.client.get("/api/connections").json()["data"]
    assert [c["name"] for c in found] == ["warehouse"]
    created = found[0]
    assert answer.headers["location"].startswith(f"/connections/{created['id']}?")
    assert created["status"] == "healthy"
    assert created["configuration"]["database"] == pg_config["database"]
    assert created["configuration"]["port"] == pg_config["port"]
    assert created["configuration"]["ssl"] is False
    listing = signed.get("/connections").text
    assert f'href="/connections/{created["id"]}">warehouse</a>' in listing
    assert "PostgreSQL" in listing


def test_the_list_says_what_to_do_when_there_is_no_connection(signed: TestClient) -> None:
    page = signed.get("/connections").text
    assert "No connections yet. Create one to read a model from or sync to." in page
    assert 'href="/connections/new"' in page


def test_an_edit_with_the_password_left_empty_keeps_the_saved_secret(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    form = _edit_form(signed, connection_id)
    assert form["configuration.password"] == ""
    assert (
        "leave empty to keep the saved secret"
        in signed.get(f"/connections/{connection_id}/edit").text
    )
    answer = signed.post(
        f"/connections/{connection_id}/edit",
        data={**form, "name": "renamed"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert _stored_password(org, connection_id) == SECRET
    saved = org.client.get(f"/api/connections/{connection_id}").json()["data"]
    assert saved["name"] == "renamed"
    assert saved["configuration"]["password"] == "********"
    tested = signed.post("/connections/test", data=form, headers=HTMX)
    assert "Connection succeeded." in tested.text


def test_a_new_password_replaces_the_saved_one(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    form = {**_edit_form(signed, connection_id), "configuration.password": "another"}
    answer = signed.post(f"/connections/{connection_id}/edit", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert _stored_password(org, connection_id) == "another"


def test_a_changed_host_asks_for_the_password_again_next_to_it(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    form = {**_edit_form(signed, connection_id), "configuration.hostname": "localhost"}
    answer = signed.post(f"/connections/{connection_id}/edit", data=form)
    assert answer.status_code == 422
    assert "send password again" in _field_error(answer.text, "configuration-password")
    assert _stored_password(org, connection_id) == SECRET


def test_a_bad_value_is_shown_next_to_its_field(
    signed: TestClient, pg_config: dict[str, Any]
) -> None:
    form = _pg_form(signed, pg_config, **{"configuration.port": "70000"})
    answer = signed.post("/connections/new", data=form)
    assert answer.status_code == 422
    assert "less than or equal to 65535" in _field_error(answer.text, "configuration-port")
    port = re.search(r'<input id="configuration-port"[^>]*>', answer.text)
    assert port
    assert "configuration-port-error" in port.group(0)
    assert 'aria-invalid="true"' in port.group(0)
    assert 'value="70000"' in port.group(0)
    assert 'value="warehouse"' in answer.text


def test_a_missing_name_and_a_missing_required_value_are_named(signed: TestClient) -> None:
    form = {"csrf_token": _token(signed), "type": "postgresql", "name": " "}
    answer = signed.post("/connections/new", data=form)
    assert answer.status_code == 422
    assert _field_error(answer.text, "name") == "Give the connection a name."


def test_the_test_button_shows_the_drivers_failure_for_a_wrong_port(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    wrong = {**pg_config, "port": 1}
    expected = org.client.post(
        "/api/connections/test", json={"type": "postgresql", "configuration": wrong}
    ).json()["message"]
    form = _pg_form(signed, pg_config, **{"configuration.port": "1"})
    answer = signed.post("/connections/test", data=form, headers=HTMX)
    # 200, so htmx swaps the outcome in; the form itself is not in the answer, so it stays.
    assert answer.status_code == 200
    assert "The connection test failed." in answer.text
    assert html.escape(expected, quote=False) in answer.text
    assert "<form" not in answer.text
    fine = signed.post("/connections/test", data=_pg_form(signed, pg_config), headers=HTMX)
    assert "Connection succeeded." in fine.text


def test_without_htmx_the_test_answers_the_whole_form_with_its_values(
    signed: TestClient, pg_config: dict[str, Any]
) -> None:
    form = _pg_form(signed, pg_config, **{"configuration.port": "1", "name": "keep me"})
    answer = signed.post("/connections/test", data=form)
    assert answer.status_code == 200
    assert "The connection test failed." in answer.text
    assert 'value="keep me"' in answer.text
    assert 'id="configuration-port" name="configuration.port" type="number" value="1"' in (
        answer.text
    )


def test_a_failed_check_on_save_keeps_the_form_and_says_why(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    form = _pg_form(signed, pg_config, **{"configuration.port": "1"})
    answer = signed.post("/connections/new", data=form)
    assert answer.status_code == 400
    assert "The connection test failed, so nothing was saved" in answer.text
    assert org.client.get("/api/connections").json()["data"] == []
    unchecked = {k: v for k, v in form.items() if k != "check"}
    saved = signed.post("/connections/new", data=unchecked, follow_redirects=False)
    assert saved.status_code == 303
    assert org.client.get("/api/connections").json()["data"][0]["status"] == "unknown"


def test_an_unused_connection_is_deleted(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    page = signed.get(f"/connections/{connection_id}").text
    assert "<details" in page
    answer = signed.post(
        f"/connections/{connection_id}/delete",
        data={"csrf_token": form_token(page)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert org.client.get(f"/api/connections/{connection_id}").status_code == 404
    assert "Connection deleted." in signed.get(answer.headers["location"]).text


def test_a_connection_a_model_uses_is_not_deleted_and_the_page_says_what_uses_it(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    model = org.client.post(
        "/api/models",
        json={
            "name": "one row",
            "connection_id": connection_id,
            "configuration": {"query": "select 1 as id"},
        },
    )
    assert model.status_code == 200, model.text
    model_id = model.json()["data"]["id"]
    answer = signed.post(
        f"/connections/{connection_id}/delete", data={"csrf_token": _token(signed)}
    )
    assert answer.status_code == 422
    assert "Not deleted: the connection is in use" in answer.text
    assert "model &#39;one row&#39;" in answer.text  # the service's own message
    assert f'<a href="/models/{model_id}">one row</a>' in answer.text
    assert org.client.get(f"/api/connections/{connection_id}").status_code == 200


def test_a_viewer_sees_no_write_controls_and_a_forged_post_is_refused(
    org: Org, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    viewer = signed_in(org.server.app, add_member(org, "viewer").key)
    listing = viewer.get("/connections").text
    assert "warehouse" in listing
    assert "New connection" not in listing
    page = viewer.get(f"/connections/{connection_id}").text
    assert "warehouse" in page
    for control in ("/edit", "/delete", "/test", '<form method="post" action="/connections'):
        assert control not in page
    token = page_token(page)
    forged = [
        viewer.post("/connections/new", data=_pg_form(viewer, pg_config)),
        viewer.post(f"/connections/{connection_id}/delete", data={"csrf_token": token}),
        viewer.post(f"/connections/{connection_id}/edit", data={"csrf_token": token}),
        viewer.post("/connections/test", data=_pg_form(viewer, pg_config), headers=HTMX),
    ]
    assert [answer.status_code for answer in forged] == [403, 403, 403, 403]
    assert viewer.get(f"/connections/{connection_id}/edit").status_code == 403
    assert org.client.get(f"/api/connections/{connection_id}").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    connection_id = _api_connection(org, pg_config)
    answer = signed.post(f"/connections/{connection_id}/delete", data={})
    assert answer.status_code == 403
    assert org.client.get(f"/api/connections/{connection_id}").status_code == 200


def test_another_organizations_connection_does_not_exist_here(
    other_org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    theirs = _api_connection(other_org, pg_config)
    token = _token(signed)
    assert signed.get(f"/connections/{theirs}").status_code == 404
    assert signed.get(f"/connections/{theirs}/edit").status_code == 404
    deleted = signed.post(f"/connections/{theirs}/delete", data={"csrf_token": token})
    assert deleted.status_code == 404
    tested = signed.post(
        "/connections/test", data={"csrf_token": token, "connection_id": theirs}, headers=HTMX
    )
    assert tested.status_code == 404
    assert other_org.client.get(f"/api/connections/{theirs}").status_code == 200


def test_the_secret_never_appears_in_a_page(
    org: Org, signed: TestClient, pg_config: dict[str, Any]
) -> None:
    created = signed.post(
        "/connections/new",
        data=_pg_form(signed, pg_config, **{"configuration.password": SECRET}),
    )
    connection_id = org.client.get("/api/connections").json()["data"][0]["id"]
    form = _edit_form(signed, connection_id)
    pages = [
        created,
        signed.get("/connections"),
        signed.get(f"/connections/{connection_id}"),
        signed.get(f"/connections/{connection_id}/edit"),
        signed.post("/connections/test", data=form, headers=HTMX),
        signed.post("/connections/test", data=form),
        signed.post(f"/connections/{connection_id}/test", data=form, headers=HTMX),
        signed.post(
            f"/connections/{connection_id}/edit",
            data={**form, "configuration.port": "70000"},
        ),
        signed.post(
            "/connections/new",
            data=_pg_form(
                signed, pg_config, **{"configuration.password": SECRET, "configuration.port": "x"}
            ),
        ),
    ]
    assert [answer.status_code for answer in pages] == [200, 200, 200, 200, 200, 200, 200, 422, 422]
    assert _stored_password(org, connection_id) == SECRET
    for answer in pages:
        assert SECRET not in answer.text


def test_every_types_form_has_a_control_for_every_property(org: Org, signed: TestClient) -> None:
    choices = signed.get("/connections/new").text
    for cls in connector_classes():
        assert f'href="/connections/new?type={cls.type_id}"' in choices
        page = signed.get(f"/connections/new?type={cls.type_id}")
        assert page.status_code == 200, (cls.type_id, page.text)
        schema = org.client.get(f"/api/connection_types/{cls.type_id}").json()
        for name, prop in schema["properties"].items():
            if prop.get("readOnly"):
                assert f'id="configuration-{name}"' in page.text, (cls.type_id, name)
            else:
                assert f'name="configuration.{name}' in page.text, (cls.type_id, name)
        for tag in re.findall(r"<(?:input|select|textarea) [^>]*>", page.text):
            if 'type="hidden"' in tag:
                continue
            control_id = re.search(r'id="([^"]+)"', tag)
            assert control_id, tag
            labelled = f'for="{control_id.group(1)}"' in page.text or tag.startswith(
                '<input type="checkbox"'
            )
            assert labelled, tag


def test_a_webhooks_generated_secret_is_shown_once_when_it_is_made(
    org: Org, signed: TestClient
) -> None:
    form = {
        "csrf_token": _token(signed),
        "type": "webhook",
        "name": "hook",
        "configuration.url": "https://receiver.example.com/hook",
        "configuration.auth_method": "polytomic_secret",
        "configuration.headers[0].name": "X-Team",
        "configuration.headers[0].value": "header-secret",
        "configuration.headers[1].name": "",
        "configuration.headers[1].value": "",
    }
    answer = signed.post("/connections/new", data=form)
    assert answer.status_code == 200, answer.text
    shown = re.search(r"whsec_[A-Za-z0-9+/=]+", answer.text)
    assert shown
    assert "shown this once" in answer.text
    saved = org.client.get("/api/connections").json()["data"][0]
    assert saved["configuration"]["headers"] == [{"name": "X-Team", "value": "********"}]
    for path in (f"/connections/{saved['id']}", f"/connections/{saved['id']}/edit"):
        page = signed.get(path).text
        assert shown.group(0) not in page
        assert "header-secret" not in page
