"""In Chromium: forms show refusals at their fields, a viewer's pages are read-only,
forged posts are refused, every connection type's form is complete, and axe passes
on every kind of page.

One server for the module; the admin and the viewer sign in through the form
once each, and every test opens a fresh context with their saved session.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import APIResponse, Browser, Locator, Page, Response, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.ui.accessibility import assert_accessible
from tests.ui.conftest import BROWSER_PATIENCE_MS
from tests.ui.sample import customers_sync
from tests.ui.server import UiServer

WRITE_BUTTONS = re.compile(
    r"run now|save|delete|create|test|pause|activate|rename|add user|revoke|edit", re.I
)
"""Names of the buttons that change something; a viewer's pages have none."""


@dataclass(frozen=True)
class World:
    """What the module's tests look at, made through the API."""

    org_id: str
    source_id: str
    export_id: str
    model_id: str
    sync_id: str
    viewer_key: str


def _api(server: UiServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=60,
    )


def _data(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.fixture(scope="module")
def world(ui_server: UiServer) -> World:
    """A SQLite source, a files destination, a model and a paused sync, and a viewer."""
    sample = customers_sync(ui_server, count=20, active=False, fields=("id", "email"))
    with _api(ui_server) as api:
        org_id = _data(api.get("/api/organization"))["id"]
        user_id = _data(
            api.post(
                f"/api/organizations/{org_id}/users",
                json={"email": "viewer@example.com", "role": "viewer"},
            )
        )["id"]
        viewer_key = _data(api.post(f"/api/organizations/{org_id}/users/{user_id}/keys"))["value"]
    return World(
        org_id, sample.source_id, sample.export_id, sample.model_id, sample.sync_id, viewer_key
    )


def _session(browser: Browser, server: UiServer, key: str) -> Any:
    """The storage state (the session cookie) of a browser signed in with `key`."""
    context = browser.new_context()
    context.set_default_timeout(BROWSER_PATIENCE_MS)
    try:
        page = context.new_page()
        page.goto(server.url("/signin"))
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Syncs", level=1)).to_be_visible()
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def admin_session(browser: Browser, ui_server: UiServer) -> Any:
    return _session(browser, ui_server, ui_server.api_key)


@pytest.fixture(scope="module")
def viewer_session(browser: Browser, ui_server: UiServer, world: World) -> Any:
    return _session(browser, ui_server, world.viewer_key)


@pytest.fixture
def admin(new_context: CreateContextCallback, admin_session: Any) -> Page:
    """A page of the signed-in admin."""
    return new_context(storage_state=admin_session).new_page()


@pytest.fixture
def viewer(new_context: CreateContextCallback, viewer_session: Any) -> Page:
    """A page of the signed-in viewer."""
    return new_context(storage_state=viewer_session).new_page()


@pytest.fixture
def api(ui_server: UiServer) -> Iterator[httpx.Client]:
    with _api(ui_server) as client:
        yield client


def expect_refused(control: Locator, message: str | re.Pattern[str]) -> None:
    """`control` is marked invalid and describes itself with its one error message."""
    expect(control).to_have_attribute("aria-invalid", "true")
    described = (control.get_attribute("aria-describedby") or "").split()
    errors = [part for part in described if part.endswith("-error")]
    assert len(errors) == 1, f"aria-describedby={described!r} names no single error"
    shown = control.page.locator(f"#{errors[0]}")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text(message)
    expect(control).to_have_accessible_description(
        message if isinstance(message, re.Pattern) else re.compile(re.escape(message))
    )


def expect_accepted(control: Locator) -> None:
    expect(control).not_to_have_attribute("aria-invalid", "true")


def _post(page: Page, server: UiServer, path: str, form: dict[str, str]) -> APIResponse:
    """A form posted with the browser context's cookies, as a forged form would be."""
    fields: dict[str, str | float | bool] = dict(form)
    return page.request.post(server.url(path), form=fields, max_redirects=0)


def _status(answer: Response | None) -> int:
    """The status of a navigation's answer (0 when there was none)."""
    return answer.status if answer is not None else 0


def _csrf(page: Page) -> str:
    token = page.locator("body").get_attribute("data-csrf")
    assert token, "the page carries no session token"
    return token


# ------------------------------------------------------------------ refusals at fields


def test_a_connection_form_shows_each_refusal_at_its_field(
    admin: Page, ui_server: UiServer, api: httpx.Client
) -> None:
    admin.goto(ui_server.url("/connections/new?type=postgresql"))
    name = admin.get_by_label(re.compile(r"^Name\b"))
    name.fill("Warehouse")
    port = admin.get_by_label("Port")
    host = admin.get_by_label("Host")
    port.fill("70000")
    admin.get_by_label("Database").fill("analytics")
    admin.get_by_label("Username").fill("reader")
    admin.get_by_label("Test the connection before saving").uncheck()
    create = admin.get_by_role("button", name="Create connection")
    # The browser's own checks stop the form first...
    create.click()
    assert port.evaluate("control => control.validity.rangeOverflow")
    assert host.evaluate("control => control.validity.valueMissing")
    expect(admin).to_have_url(ui_server.url("/connections/new?type=postgresql"))
    # ...and without them the server refuses it, each message at its field.
    admin.locator("form.connection-form").evaluate("form => { form.noValidate = true }")
    create.click()
    expect(admin.get_by_role("heading", name="New PostgreSQL connection")).to_be_visible()
    expect_refused(port, "65535")
    expect_refused(host, re.compile(r"\S"))
    expect_accepted(admin.get_by_label("Database"))
    expect_accepted(name)
    expect(admin.get_by_label("Database")).to_have_value("analytics")
    assert_accessible(admin)
    assert [c["name"] for c in _data(api.get("/api/connections"))].count("Warehouse") == 0


def test_an_hour_of_99_is_refused_at_the_hour_field_and_06_30_is_saved(
    admin: Page, ui_server: UiServer, world: World, api: httpx.Client
) -> None:
    admin.goto(ui_server.url(f"/syncs/{world.sync_id}"))
    admin.get_by_label("Runs", exact=True).select_option("daily")
    hour = admin.get_by_label("Hour", exact=True)
    hour.fill("99")
    admin.get_by_label("Minute", exact=True).fill("30")
    admin.get_by_role("button", name="Save schedule").click()
    expect_refused(hour, "from 0 to 23")
    expect_accepted(admin.get_by_label("Minute", exact=True))
    expect(admin.get_by_label("Runs", exact=True)).to_have_value("daily")
    assert_accessible(admin)
    assert _data(api.get(f"/api/syncs/{world.sync_id}"))["schedule"] == {"frequency": "manual"}

    hour.fill("6")
    admin.get_by_role("button", name="Save schedule").click()
    expect(admin.get_by_role("status")).to_have_text("Schedule saved.")
    expect_accepted(hour)
    assert _data(api.get(f"/api/syncs/{world.sync_id}"))["schedule"] == {
        "frequency": "daily",
        "hour": "6",
        "minute": "30",
    }


# ------------------------------------------------------------------ a viewer's pages


def test_a_viewer_s_pages_have_no_write_controls(
    viewer: Page, ui_server: UiServer, world: World
) -> None:
    pages = {
        "/": "Syncs",
        f"/syncs/{world.sync_id}": "Customers to CSV",
        "/connections": "Connections",
        f"/connections/{world.source_id}": "Customers",
        "/models": "Models",
        f"/models/{world.model_id}": "Customers",
        "/settings": "Settings",
    }
    for path, heading in pages.items():
        viewer.goto(ui_server.url(path))
        main = viewer.locator("main")
        expect(main.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(main.locator("form[method=post]")).to_have_count(0)
        expect(main.get_by_role("button", name=WRITE_BUTTONS)).to_have_count(0)
        expect(main.locator("a[href$='/new'], a[href*='/edit'], a[href*='/revoke']")).to_have_count(
            0
        )
        if path.startswith("/syncs/"):
            # The settings are shown, read-only.
            expect(main.locator("#handling-settings")).to_contain_text("Send rejected records")
            expect(main.locator("#schedule")).to_contain_text("Runs")
            assert_accessible(viewer)
    for path in ("/syncs/new", "/connections/new", f"/connections/{world.source_id}/edit"):
        assert _status(viewer.goto(ui_server.url(path))) == 403, path
        expect(viewer.get_by_role("alert")).to_contain_text("needs the user role")


def test_posts_forged_from_a_viewer_s_page_are_refused(
    viewer: Page, ui_server: UiServer, world: World, api: httpx.Client
) -> None:
    viewer.goto(ui_server.url(f"/syncs/{world.sync_id}"))
    token = _csrf(viewer)
    sync_before = _data(api.get(f"/api/syncs/{world.sync_id}"))
    handling_before = _data(api.get(f"/api/syncs/{world.sync_id}/error-handling"))
    forged = {
        f"/syncs/{world.sync_id}/schedule": {"frequency": "hourly", "minute": "5"},
        f"/syncs/{world.sync_id}/error-handling": {"notify_on_record_errors": "on"},
        f"/syncs/{world.sync_id}/active": {"active": "true"},
        f"/syncs/{world.sync_id}/start": {},
        f"/connections/{world.export_id}/delete": {},
        f"/models/{world.model_id}/delete": {},
        "/settings/keys": {},
    }
    for path, fields in forged.items():
        answer = _post(viewer, ui_server, path, {"csrf_token": token, **fields})
        assert answer.status == 403, (path, answer.status)
        assert "role" in answer.text(), path
    assert _data(api.get(f"/api/syncs/{world.sync_id}")) == sync_before
    assert _data(api.get(f"/api/syncs/{world.sync_id}/error-handling")) == handling_before
    assert _data(api.get(f"/api/connections/{world.export_id}"))["id"] == world.export_id
    assert _data(api.get(f"/api/models/{world.model_id}"))["id"] == world.model_id
    assert _data(api.get(f"/api/syncs/{world.sync_id}/executions")) == []


# ------------------------------------------------------------------ CSRF


def test_a_post_with_a_wrong_or_missing_token_is_refused_and_changes_nothing(
    admin: Page, ui_server: UiServer, world: World, api: httpx.Client
) -> None:
    name = _data(api.get("/api/organization"))["name"]
    admin.goto(ui_server.url("/settings"))
    rename = admin.locator("form[action='/settings/organization']")
    rename.locator("input[name=csrf_token]").evaluate("field => { field.value = 'forged' }")
    rename.get_by_label("Name").fill("Renamed by a forged form")
    with admin.expect_response(ui_server.url("/settings/organization")) as refused:
        rename.get_by_role("button", name="Rename").click()
    assert refused.value.status == 403
    expect(admin.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(admin.get_by_role("alert")).to_contain_text("security token")

    handling = _data(api.get(f"/api/syncs/{world.sync_id}/error-handling"))
    path = f"/syncs/{world.sync_id}/error-handling"
    for token in ({"csrf_token": "forged"}, {"csrf_token": ""}, {}):
        answer = _post(admin, ui_server, path, {**token, "notify_on_record_errors": "on"})
        assert answer.status == 403, (token, answer.status)
        assert "security token" in answer.text()
    assert _data(api.get("/api/organization"))["name"] == name
    assert _data(api.get(f"/api/syncs/{world.sync_id}/error-handling")) == handling


# ------------------------------------------------------------------ connection forms


def _labelled_controls(page: Page, prefix: str) -> list[tuple[str, str]]:
    """(name, label text) of every control whose name is `prefix` or below it."""
    found: list[tuple[str, str]] = page.locator("main form").first.evaluate(
        """(form, prefix) => Array.from(form.elements)
            .filter(e => e.name === prefix || e.name.startsWith(prefix + '.')
                         || e.name.startsWith(prefix + '['))
            .filter(e => e.type !== 'hidden')
            .map(e => [e.name, Array.from(e.labels || []).map(l => l.textContent).join(' ').trim()])
        """,
        prefix,
    )
    return found


def _read_only(prop: dict[str, Any]) -> bool:
    options = [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]
    return any(option.get("readOnly") is True for option in options)


def test_every_connection_type_s_form_labels_a_control_per_property(
    admin: Page, ui_server: UiServer, api: httpx.Client
) -> None:
    admin.goto(ui_server.url("/connections/new"))
    links = admin.locator("main ul.type-choices a")
    expect(links.first).to_be_visible()
    hrefs = [link.get_attribute("href") or "" for link in links.all()]
    types = [href.split("type=", 1)[1] for href in hrefs]
    assert sorted(types) == sorted(t["id"] for t in _data(api.get("/api/connection_types")))
    for type_id, href in zip(types, hrefs, strict=True):
        schema = api.get(f"/api/connection_types/{type_id}")
        assert schema.status_code == 200, schema.text
        admin.goto(ui_server.url(href))
        expect(admin.get_by_role("heading", level=1)).to_have_text(
            f"New {schema.json()['title']} connection"
        )
        for prop_name, prop in schema.json()["properties"].items():
            controls = _labelled_controls(admin, f"configuration.{prop_name}")
            where = f"{type_id}.{prop_name}"
            if _read_only(prop):
                # Generated by the server: a note, never a control.
                assert controls == [], where
                expect(admin.locator(f"#configuration-{prop_name}")).to_contain_text(
                    prop.get("title", prop_name)
                )
                continue
            assert controls, f"{where}: no control"
            assert all(label for _, label in controls), f"{where}: unlabelled {controls}"
            own = [label for name, label in controls if name == f"configuration.{prop_name}"]
            if own and "title" in prop:
                assert prop["title"] in own[0], (where, own)
        assert_accessible(admin)


# ------------------------------------------------------------------ axe on each kind of page


PAGES: dict[str, Callable[[World], str]] = {
    "connections": lambda w: "/connections",
    "connection": lambda w: f"/connections/{w.source_id}",
    "connection-edit": lambda w: f"/connections/{w.export_id}/edit",
    "models": lambda w: "/models",
    "model-new": lambda w: "/models/new",
    "model-browse": lambda w: f"/models/new?connection={w.source_id}",
    "model": lambda w: f"/models/{w.model_id}",
    "settings": lambda w: "/settings",
    "new-sync": lambda w: (
        f"/syncs/new?name=Copy&model={w.model_id}&connection={w.export_id}"
        "&object=__new__&create-format=csv&create-name=copy.csv"
    ),
}


@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_passes_on_the_page(admin: Page, ui_server: UiServer, world: World, kind: str) -> None:
    assert _status(admin.goto(ui_server.url(PAGES[kind](world)))) == 200, kind
    expect(admin.locator("main h1")).to_be_visible()
    if kind == "new-sync":
        # Every section is open, down to the schedule and the review.
        expect(admin.get_by_label("Hour", exact=True)).to_be_visible()
        expect(admin.locator("#review")).to_be_visible()
    assert_accessible(admin)


def test_axe_passes_on_the_error_page(admin: Page, ui_server: UiServer) -> None:
    for path in ("/no-such-page", f"/syncs/{uuid.uuid4()}"):
        assert _status(admin.goto(ui_server.url(path))) == 404, path
        expect(admin.get_by_role("heading", name="Not found")).to_be_visible()
        assert_accessible(admin)
