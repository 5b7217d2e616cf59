"""The whole path a RevOps person takes in the UI, in Chromium, against real databases.

Sign in; create a PostgreSQL connection and a MariaDB connection; browse to a
table and make a model of it; create an updateOrCreate sync whose mappings
were matched automatically; run it and watch the progress end; see the run
in the chart; open the run and find an inserted record by its identity;
change a source row, run again, and see exactly one update. The screenshots
of the overview, the sync and the run go to `docs/` (the README shows them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DATABASE,
    PG_DSN,
    PG_HOST,
    PG_PORT,
    PG_USER,
    maria,
    temporary_maria_database,
    temporary_pg_schema,
)
from tests.ui.accessibility import assert_accessible
from tests.ui.server import UiServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
ROWS = 120


@pytest.fixture(scope="module")
def source_schema() -> Iterator[str]:
    """A PostgreSQL schema with `accounts`, ROWS rows."""
    with temporary_pg_schema(
        "journey",
        "CREATE TABLE {schema}.accounts (id bigint PRIMARY KEY, email text NOT NULL,"
        " name text, plan text, mrr numeric(10,2))",
        f"INSERT INTO {{schema}}.accounts SELECT i, 'a' || i || '@example.com', 'Account ' || i,"
        f" CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END, i * 10.5"
        f" FROM generate_series(1, {ROWS}) i",
    ) as schema:
        yield schema


@pytest.fixture(scope="module")
def target_database() -> Iterator[str]:
    """A MariaDB database with an empty `accounts` of the same shape."""
    with temporary_maria_database(
        "journey",
        "CREATE TABLE {database}.accounts (id bigint PRIMARY KEY, email varchar(255) NOT NULL,"
        " name varchar(255), plan varchar(32), mrr decimal(10,2))",
    ) as database:
        yield database


def _create_connection(page: Page, server: UiServer, kind: str, values: dict[str, str]) -> None:
    page.goto(server.url("/connections"))
    page.get_by_role("link", name="New connection").first.click()
    page.get_by_role("link", name=kind, exact=True).click()
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(values["Name (required)"])


def _screenshot(page: Page, name: str) -> None:
    """Keep a screenshot for the README (`docs/<name>.png`) when asked to."""
    if os.environ.get("SYNCLINE_UI_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


def test_a_person_connects_models_syncs_runs_and_sees_an_update(
    page: Page, ui_server: UiServer, source_schema: str, target_database: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(ui_server.url("/"))
    page.get_by_label("API key", exact=True).fill(ui_server.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Syncs", level=1)).to_be_visible()

    # Two connections, made from the forms each type's schema generates.
    _create_connection(
        page,
        ui_server,
        "PostgreSQL",
        {
            "Name (required)": "Warehouse",
            "Host (required)": PG_HOST,
            "Port": str(PG_PORT),
            "Database (required)": PG_DATABASE,
            "Username (required)": PG_USER,
        },
    )
    _create_connection(
        page,
        ui_server,
        "MySQL",
        {
            "Name (required)": "CRM database",
            "Host (required)": MYSQL_HOST,
            "Port": str(MYSQL_PORT),
            "Database (required)": target_database,
            "Username (required)": MYSQL_USER,
        },
    )

    # A model of the `accounts` table, found by browsing the source.
    page.goto(ui_server.url("/models"))
    page.get_by_role("link", name="New model").first.click()
    page.get_by_label("Connection", exact=True).select_option(label="Warehouse (postgresql)")
    page.get_by_role("button", name="Browse").click()
    page.get_by_label("Schema", exact=True).select_option(source_schema)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="accounts", exact=True).click()
    expect(page.get_by_role("table").first).to_contain_text("a1@example.com")
    page.get_by_label("Name (required)", exact=True).fill("Accounts")
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")

    # A sync whose fields were matched by name, into MariaDB's `accounts`.
    page.goto(ui_server.url("/"))
    page.get_by_role("link", name="New sync").click()
    page.get_by_label("Name (required)", exact=True).fill("Accounts to CRM")
    page.get_by_label("Model", exact=True).select_option(label="Accounts")
    page.get_by_label("Target connection", exact=True).select_option(label="CRM database (mysql)")
    page.get_by_role("button", name="Continue").click()
    objects = page.get_by_label("Object", exact=True)
    chosen = objects.locator("option", has_text="accounts").first.get_attribute("value")
    assert chosen is not None
    assert chosen.endswith("accounts")
    objects.select_option(chosen)
    page.get_by_role("button", name="Continue").click()
    for field in ("id", "email", "name", "plan", "mrr"):
        expect(page.get_by_label(field, exact=True)).not_to_have_value("")
    expect(page.get_by_label("Mode", exact=True)).to_have_value("updateOrCreate")
    expect(page.get_by_label("Identity: model field", exact=True)).to_have_value("id")
    assert_accessible(page)
    page.get_by_role("button", name="Create sync").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts to CRM")

    # Run it and watch: the panel follows the run, then the page shows it in the chart.
    page.get_by_role("button", name="Run now").click()
    runs = page.locator("#runs tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("completed")
    expect(page.locator("#progress")).to_contain_text("Not running")
    expect(page.locator("svg.chart g[data-run]")).to_have_count(1)
    expect(runs.first.locator("td").nth(3)).to_have_text(f"{ROWS:,}")
    assert maria(target_database, "SELECT count(*) FROM accounts") == [(ROWS,)]
    _screenshot(page, "ui-sync")

    # The run's page finds an inserted record by its identity.
    runs.first.get_by_role("link").click()
    page.get_by_role("link", name="inserts").click()
    page.get_by_label("Identity contains", exact=True).fill("77")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("a77@example.com")
    _screenshot(page, "ui-execution")

    # One row changes at the source: the next run updates exactly that record.
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"UPDATE \"{source_schema}\".accounts SET plan = 'enterprise' WHERE id = 5")
    page.get_by_role("link", name="Accounts to CRM").click()
    page.get_by_role("button", name="Run now").click()
    expect(runs).to_have_count(2)
    expect(runs.first).to_contain_text("completed")
    expect(runs.first.locator("td").nth(3)).to_have_text("0")
    expect(runs.first.locator("td").nth(4)).to_have_text("1")
    expect(page.locator("svg.chart g[data-run]")).to_have_count(2)
    assert maria(target_database, "SELECT plan FROM accounts WHERE id = 5") == [("enterprise",)]

    page.goto(ui_server.url("/"))
    expect(page.locator("#syncs")).to_contain_text("Accounts to CRM")
    _screenshot(page, "ui-overview")
