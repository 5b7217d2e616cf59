"""In Chromium: signing in, the overview, a run watched live, its chart and its records."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.accessibility import assert_accessible
from tests.ui.sample import customers_sync
from tests.ui.server import UiServer

CUSTOMERS = 300
UTC_TITLE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


@pytest.fixture(scope="module")
def sync_id(ui_server: UiServer) -> str:
    """A sync of a SQLite table of customers into a CSV file, made through the API."""
    return customers_sync(
        ui_server, count=CUSTOMERS, active=True, fields=("id", "email", "plan", "mrr")
    ).sync_id


def sign_in(page: Page, server: UiServer, key: str | None = None) -> None:
    page.goto(server.url("/"))
    expect(page).to_have_url(server.url("/signin?next=/"))
    page.get_by_label("API key").fill(key or server.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Syncs", level=1)).to_be_visible()


def test_a_wrong_key_is_refused_and_the_sign_in_page_is_accessible(
    page: Page, ui_server: UiServer
) -> None:
    page.goto(ui_server.url("/"))
    assert_accessible(page)
    page.get_by_label("API key").fill("sl_not_a_key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Invalid API key.")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")


def test_run_now_shows_live_progress_then_the_run_in_the_chart(
    page: Page, ui_server: UiServer, sync_id: str
) -> None:
    sign_in(page, ui_server)
    row = page.locator(f'tr[data-sync="{sync_id}"]')
    expect(row).to_contain_text("never run")
    assert_accessible(page)

    row.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(ui_server.url(f"/syncs/{sync_id}"))
    # The panel polls while the run goes on, and the history reloads itself once the run
    # has ended: the page stays the same document throughout.
    page.evaluate("window.sameDocument = true")
    expect(page.locator("#progress")).to_contain_text("Not running")
    bar = page.locator("svg.chart g[data-run]")
    expect(bar).to_have_count(1)
    runs = page.locator("#runs tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("completed")
    expect(runs.first.locator("td").nth(3)).to_have_text(f"{CUSTOMERS:,}")
    assert page.evaluate("window.sameDocument === true")
    assert_accessible(page)


def test_the_execution_page_finds_a_record_by_identity(
    page: Page, ui_server: UiServer, sync_id: str
) -> None:
    sign_in(page, ui_server)
    page.goto(ui_server.url(f"/syncs/{sync_id}"))
    page.locator("#runs tbody tr").first.get_by_role("link").click()
    expect(page.locator('dd[data-count="insert"]')).to_have_text(f"{CUSTOMERS:,}")
    page.get_by_role("link", name="inserts").click()
    page.get_by_label("Identity contains").fill("42")
    page.get_by_role("button", name="Search").click()
    records = page.locator("#records tbody tr")
    expect(records.first).to_contain_text("customer42@example.com")
    expect(records).to_have_count(3)  # identities 42, 142 and 242
    assert_accessible(page)


def test_times_show_in_the_browser_s_zone_with_utc_on_hover(
    browser: Any, ui_server: UiServer, sync_id: str
) -> None:
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, ui_server)
        when = page.locator(f'tr[data-sync="{sync_id}"] time').first
        expect(when).to_have_attribute("title", UTC_TITLE)
        expect(when).not_to_contain_text("UTC")
        expect(when).to_contain_text("GMT+9")
    finally:
        context.close()


def test_the_keyboard_reaches_skip_link_then_navigation(page: Page, ui_server: UiServer) -> None:
    sign_in(page, ui_server)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The skip link moved the starting point: the next stop is the first control of main.
    expect(page.get_by_role("link", name="New sync")).to_be_focused()


def test_a_source_change_runs_as_one_update(page: Page, ui_server: UiServer, sync_id: str) -> None:
    with sqlite3.connect(ui_server.local_root / "customers.db") as conn:
        conn.execute("UPDATE customers SET plan = 'changed' WHERE id = 7")
    conn.close()
    sign_in(page, ui_server)
    page.goto(ui_server.url(f"/syncs/{sync_id}"))
    before = page.locator("#runs tbody tr").count()
    page.get_by_role("button", name="Run now").click()
    runs = page.locator("#runs tbody tr")
    expect(runs).to_have_count(before + 1)
    newest = runs.first
    expect(newest).to_contain_text("completed")
    expect(newest.locator("td").nth(3)).to_have_text("0")
    expect(newest.locator("td").nth(4)).to_have_text("1")
