"""The new-sync page: choices open the next section, mappings are matched by name
and type, and the service's refusals show next to the control they are about."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import add_member
from tests.api.execution_fixtures import Runner
from tests.ui.signin import page_token, signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _client(runner: Runner) -> TestClient:
    return signed_in(runner.org.server.app, runner.org.key)


def _choices(runner: Runner, **extra: str) -> dict[str, str]:
    return {
        "name": "people to copy",
        "model": runner.model_id,
        "connection": runner.connection_id,
        "object": f"{runner.schema}.people_copy",
        **extra,
    }


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="[^"]*" name="{re.escape(name)}".*?</select>', html, re.S)
    assert select, f"no select named {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return chosen.group(1) if chosen else ""


def test_sections_open_as_choices_are_made(runner: Runner) -> None:
    client = _client(runner)
    first = client.get("/syncs/new")
    assert first.status_code == 200
    assert 'name="object"' not in first.text
    second = client.get(
        "/syncs/new",
        params={"model": runner.model_id, "connection": runner.connection_id},
    )
    assert f"{runner.schema}.people_copy" in second.text
    assert 'id="mappings"' not in second.text
    third = client.get("/syncs/new", params=_choices(runner))
    assert 'id="mappings"' in third.text
    assert 'id="create-sync"' in third.text


def test_mappings_are_matched_by_name_and_the_identity_by_the_model_identifier(
    runner: Runner,
) -> None:
    html = _client(runner).get("/syncs/new", params=_choices(runner)).text
    target = f"{runner.schema}.people_copy"
    for index, name in enumerate(("id", "email", "score", "seen_at")):
        assert f'name="map-{index}-source" value="{name}"' in html
        assert _selected(html, f"map-{index}-target") in (name, f"{target}.{name}")
    assert _selected(html, "identity_source") == "id"
    assert _selected(html, "identity_target") != ""


def test_creating_the_sync_saves_what_the_page_showed(runner: Runner) -> None:
    client = _client(runner)
    page = client.get("/syncs/new", params=_choices(runner))
    form = _form_fields(page.text)
    form["csrf_token"] = page_token(page.text)
    answer = client.post("/syncs/new", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    sync_id = answer.headers["location"].rsplit("/", 1)[-1]
    sync = runner.org.client.get(f"/api/syncs/{sync_id}").json()["data"]
    assert sync["name"] == "people to copy"
    assert sync["mode"] == _selected(page.text, "mode") == "updateOrCreate"
    assert sorted(f["source"]["field"] for f in sync["fields"]) == [
        "email",
        "id",
        "score",
        "seen_at",
    ]
    assert sync["identities"]["mappings"][0]["source"]["field"] == "id"
    assert sync["active"] is True
    execution = runner.run(sync_id)
    assert execution["status"] == "completed", execution


def test_a_refused_value_shows_next_to_its_control(runner: Runner) -> None:
    client = _client(runner)
    page = client.get("/syncs/new", params=_choices(runner))
    form = _form_fields(page.text)
    form["csrf_token"] = page_token(page.text)
    form["frequency"] = "daily"
    form["hour"] = "99"
    answer = client.post("/syncs/new", data=form)
    assert answer.status_code == 422
    assert 'id="hour-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert runner.org.client.get("/api/syncs").json()["data"] == []


def test_a_missing_name_is_shown_on_the_name_field(runner: Runner) -> None:
    client = _client(runner)
    page = client.get("/syncs/new", params=_choices(runner, name=""))
    form = _form_fields(page.text)
    form["csrf_token"] = page_token(page.text)
    answer = client.post("/syncs/new", data=form)
    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text


def test_a_viewer_cannot_open_or_post_the_new_sync_page(runner: Runner) -> None:
    viewer = signed_in(runner.org.server.app, add_member(runner.org, "viewer").key)
    assert viewer.get("/syncs/new").status_code == 403
    token = page_token(viewer.get("/").text)
    refused = viewer.post("/syncs/new", data={**_choices(runner), "csrf_token": token})
    assert refused.status_code == 403
    assert "New sync" not in viewer.get("/").text


def _form_fields(html: str) -> dict[str, Any]:
    """The values the page's form would submit: inputs, checked boxes, selected options."""
    form = re.search(r'<form method="get" action="/syncs/new" id="sync-form".*?</form>', html, re.S)
    assert form
    body = form.group(0)
    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                fields[name.group(1)] = "on"
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for name, options in re.findall(
        r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', body, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        first = re.search(r'<option value="([^"]*)"', options)
        fields[name] = chosen.group(1) if chosen else (first.group(1) if first else "")
    return fields


def test_filters_and_overrides_reach_the_saved_sync(runner: Runner) -> None:
    client = _client(runner)
    page = client.get("/syncs/new", params=_choices(runner))
    form = _form_fields(page.text)
    form.update(
        {
            "csrf_token": page_token(page.text),
            "filter-0-field": "score",
            "filter-0-function": "GreaterThan",
            "filter-0-value": "10",
            "override-0-field": "email",
            "override-0-function": "IsNull",
            "override-0-override": "unknown@example.com",
        }
    )
    answer = client.post("/syncs/new", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    sync_id = answer.headers["location"].rsplit("/", 1)[-1]
    sync = runner.org.client.get(f"/api/syncs/{sync_id}").json()["data"]
    (condition,) = sync["model_filters"]["conditions"]
    assert (condition["source"]["field"], condition["function"]) == ("score", "GreaterThan")
    assert str(condition["value"]) == "10"
    (override,) = sync["overrides"]
    assert override["field"]["field"] == "email"
    assert (override["function"], override["override"]) == ("IsNull", "unknown@example.com")


def test_a_refused_override_shows_on_its_row(runner: Runner) -> None:
    client = _client(runner)
    page = client.get("/syncs/new", params=_choices(runner))
    form = _form_fields(page.text)
    form.update(
        {
            "csrf_token": page_token(page.text),
            "override-1-field": "score",
            "override-1-override": "not a number",
        }
    )
    answer = client.post("/syncs/new", data=form)
    assert answer.status_code == 422
    assert 'id="override-1-override-error"' in answer.text
