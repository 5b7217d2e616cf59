"""The model pages, over HTTP (no browser): browse a source or write SQL, preview, save,
edit and delete, with the server's refusals shown next to their field."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Org, add_member
from tests.api.execution_fixtures import Runner
from tests.ui.signin import page_token, signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _client(runner: Runner) -> tuple[TestClient, str]:
    client = signed_in(runner.org.server.app, runner.org.key)
    return client, page_token(client.get("/models").text)


def _link(page: str, text: str) -> str:
    found = re.search(rf'<a href="([^"]+)">{re.escape(text)}</a>', page)
    assert found, f"no link {text!r} on the page"
    return html.unescape(found.group(1))


def _api_model(runner: Runner, name: str) -> dict[str, Any]:
    listed = runner.org.client.get("/api/models").json()["data"]
    model: dict[str, Any] = next(m for m in listed if m["name"] == name)
    return model


def _sql(runner: Runner, token: str, query: str, **extra: Any) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "connection_id": runner.connection_id,
        "entry": "typed",
        "configuration.query": query,
        **extra,
    }


def test_a_table_model_is_made_by_browsing_the_source_to_its_table(runner: Runner) -> None:
    client, token = _client(runner)
    start = client.get("/models/new")
    assert start.status_code == 200
    assert f'<option value="{runner.connection_id}"' in start.text

    schemas = client.get("/models/new", params={"connection": runner.connection_id})
    assert schemas.status_code == 200
    assert f'<option value="{runner.schema}"' in schemas.text
    assert "Choose a schema above" in schemas.text

    tables = client.get(
        "/models/new",
        params={"connection": runner.connection_id, "params[schema]": runner.schema},
    )
    assert tables.status_code == 200
    chosen = client.get(_link(tables.text, "people"))
    assert chosen.status_code == 200, chosen.text
    assert "p1@example.com" in chosen.text
    assert '<option value="id" selected>' in chosen.text, "the primary key is suggested"
    back = _link(chosen.text, "Choose another")
    assert f"params[schema]={runner.schema}" in back.replace("%5B", "[").replace("%5D", "]")
    assert 'name="tracking_columns" value="seen_at"' in chosen.text

    saved = client.post(
        "/models",
        data={
            "csrf_token": token,
            "connection_id": runner.connection_id,
            "entry": "chosen",
            "configuration.table": f"{runner.schema}.people",
            "name": "People by browsing",
            "identifier": "id",
            "tracking_columns": ["seen_at"],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    model = _api_model(runner, "People by browsing")
    assert saved.headers["location"] == f"/models/{model['id']}"
    assert model["configuration"] == {"table": f"{runner.schema}.people"}
    assert model["identifier"] == "id"
    assert model["tracking_columns"] == ["seen_at"]
    assert [f["name"] for f in model["fields"]] == ["id", "email", "score", "seen_at"]


def test_a_sql_model_is_made_from_a_query(runner: Runner) -> None:
    client, token = _client(runner)
    query = f"SELECT id, email FROM {runner.schema}.people WHERE id <= 5"
    saved = client.post(
        "/models",
        data=_sql(runner, token, query, name="Top five", identifier="email"),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    model = _api_model(runner, "Top five")
    assert model["configuration"] == {"query": query}
    assert model["identifier"] == "email"
    page = client.get(saved.headers["location"])
    assert page.status_code == 200
    assert "p5@example.com" in page.text
    assert "p6@example.com" not in page.text


def test_the_preview_shows_sample_rows_under_their_field_types(runner: Runner) -> None:
    client, token = _client(runner)
    query = f"SELECT id, email, score FROM {runner.schema}.people ORDER BY id"
    preview = client.post("/models/preview", data=_sql(runner, token, query))
    assert preview.status_code == 200, preview.text
    headings = re.findall(r'<th scope="col">(\w+)<span class="type">([^<]+)</span>', preview.text)
    assert [name for name, _ in headings] == ["id", "email", "score"]
    types = dict(headings)
    assert types["id"].startswith("number")
    assert "bigint" in types["id"]
    assert types["email"].startswith("string")
    assert "p1@example.com" in preview.text
    assert "p10@example.com" in preview.text
    assert "p11@example.com" not in preview.text
    assert "Save model" in preview.text


def test_a_bad_query_shows_the_drivers_message_next_to_the_query(runner: Runner) -> None:
    client, token = _client(runner)
    query = f"SELECT nope FROM {runner.schema}.people"
    for path in ("/models/preview", "/models"):
        answer = client.post(path, data=_sql(runner, token, query, name="Broken"))
        assert answer.status_code == 422, answer.text
        error = re.search(r'id="configuration-query-error">([^<]+)</p>', answer.text)
        assert error, answer.text
        assert 'column "nope" does not exist' in html.unescape(error.group(1))
        assert 'aria-describedby="configuration-query-error"' in answer.text
        assert html.escape(query) in answer.text
    names = [m["name"] for m in runner.org.client.get("/api/models").json()["data"]]
    assert "Broken" not in names


def test_a_refused_value_is_shown_next_to_its_field(runner: Runner) -> None:
    client, token = _client(runner)
    query = f"SELECT id FROM {runner.schema}.people"
    answer = client.post("/models", data=_sql(runner, token, query, name=""))
    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text
    assert 'aria-describedby="name-error"' in answer.text


def test_editing_a_model_keeps_its_fields_and_changes_its_choices(runner: Runner) -> None:
    client, token = _client(runner)
    form = client.get(f"/models/{runner.model_id}/edit")
    assert form.status_code == 200
    assert f'value="{runner.schema}.people"' in form.text
    saved = client.post(
        f"/models/{runner.model_id}/edit",
        data={
            "csrf_token": token,
            "connection_id": runner.connection_id,
            "entry": "typed",
            "configuration.table": f"{runner.schema}.people",
            "name": "people renamed",
            "identifier": "id",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    model = runner.org.client.get(f"/api/models/{runner.model_id}").json()["data"]
    assert (model["name"], model["identifier"], model["version"]) == ("people renamed", "id", 2)


def test_an_unused_model_is_deleted(runner: Runner) -> None:
    client, token = _client(runner)
    model_id = runner.model(query=f"SELECT id FROM {runner.schema}.people")
    answer = client.post(
        f"/models/{model_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/models?done=deleted"
    assert runner.org.client.get(f"/api/models/{model_id}").status_code == 404
    assert "Model deleted." in client.get(answer.headers["location"]).text


def test_a_model_a_sync_reads_is_not_deleted_and_the_page_says_why(runner: Runner) -> None:
    client, token = _client(runner)
    sync_id = runner.sync()
    answer = client.post(f"/models/{runner.model_id}/delete", data={"csrf_token": token})
    assert answer.status_code == 409
    assert "This model was not deleted: a sync reads it." in answer.text
    assert f'<a href="/syncs/{sync_id}">updateOrCreate people</a>' in answer.text
    assert runner.org.client.get(f"/api/models/{runner.model_id}").status_code == 200


def test_a_viewer_sees_no_write_controls_and_a_forged_post_is_refused(runner: Runner) -> None:
    viewer = signed_in(runner.org.server.app, add_member(runner.org, "viewer").key)
    listing = viewer.get("/models")
    assert listing.status_code == 200
    assert f"/models/{runner.model_id}" in listing.text
    assert "New model" not in listing.text
    detail = viewer.get(f"/models/{runner.model_id}")
    assert detail.status_code == 200
    assert "p1@example.com" in detail.text
    assert "/edit" not in detail.text
    assert "/delete" not in detail.text
    assert viewer.get("/models/new").status_code == 403
    token = page_token(listing.text)
    for path in (f"/models/{runner.model_id}/delete", "/models/preview", "/models"):
        forged = viewer.post(path, data={"csrf_token": token, "name": "x"})
        assert forged.status_code == 403, path
    assert runner.org.client.get(f"/api/models/{runner.model_id}").status_code == 200


def test_the_model_list_says_what_to_do_when_there_is_none(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    page = client.get("/models")
    assert page.status_code == 200
    assert "No models yet" in page.text
    assert 'href="/connections"' in page.text


def test_a_files_connection_is_browsed_by_its_files(org: Org, files_dir: Path) -> None:
    files = org.client.post(
        "/api/connections",
        json={"name": "drop", "type": "files", "configuration": {"path": str(files_dir)}},
    ).json()["data"]
    client = signed_in(org.server.app, org.key)
    listing = client.get("/models/new", params={"connection": files["id"]})
    assert listing.status_code == 200
    assert "Or write" not in listing.text
    chosen = client.get(_link(listing.text, "people.csv"))
    assert chosen.status_code == 200, chosen.text
    assert "Grace" in chosen.text
    assert 'name="configuration.file" value="people.csv"' in chosen.text
