"""The sync and execution pages show what the store holds (server-side, no browser)."""

from __future__ import annotations

import re

import pytest

from tests.api.execution_fixtures import Runner, pg
from tests.ui.signin import signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="list" id="{table_id}">.*?</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>", 1)[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def test_the_history_shows_each_run_s_counts_newest_first(runner: Runner) -> None:
    sync_id = runner.sync()
    runner.run(sync_id)
    pg(f'UPDATE "{runner.schema}".people SET score = score + 1 WHERE id IN (1, 2)')
    runner.run(sync_id)
    client = signed_in(runner.org.server.app, runner.org.key)
    html = client.get(f"/syncs/{sync_id}").text
    runs = _cells(html, "runs")
    # Newest first: inserted, updated, deleted, errors. A CHECK refuses record 13,
    # which each run tries again.
    assert [row[3:7] for row in runs] == [["0", "2", "0", "1"], ["499", "0", "0", "1"]]
    assert html.count("<g data-run=") == 2
    assert f'hx-get="/syncs/{sync_id}/progress' not in html  # nothing running: no polling


def test_the_execution_page_pages_and_searches_records(runner: Runner) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    client = signed_in(runner.org.server.app, runner.org.key)
    base = f"/syncs/{sync_id}/executions/{execution['id']}"
    page = client.get(base, params={"kind": "inserts"}).text
    assert "Page 1 of 10 (499 records)" in page
    found = _cells(client.get(base, params={"kind": "inserts", "q": "42"}).text, "records")
    assert sorted(row[0] for row in found) == [
        "142",
        "242",
        "342",
        "42",
        "420",
        "421",
        "422",
        "423",
        "424",
        "425",
        "426",
        "427",
        "428",
        "429",
        "442",
    ]
    errors = _cells(client.get(base, params={"kind": "errors"}).text, "records")
    assert errors[0][0] == "13"
    assert "people_copy_email_check" in errors[0][1]
    assert 'href="/api/downloads/' in client.get(base, params={"kind": "errors"}).text


def test_a_running_sync_s_page_polls_its_progress(runner: Runner) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "running")
    client = signed_in(runner.org.server.app, runner.org.key)
    html = client.get(f"/syncs/{sync_id}").text
    assert f'hx-get="/syncs/{sync_id}/progress?watching={execution_id}"' in html
    fragment = client.get(f"/syncs/{sync_id}/progress", params={"watching": execution_id})
    assert fragment.status_code == 200
    assert "Cancel run" in fragment.text


def test_the_end_of_a_watched_run_refreshes_the_history_in_place(runner: Runner) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    client = signed_in(runner.org.server.app, runner.org.key)
    ended = client.get(f"/syncs/{sync_id}/progress", params={"watching": execution["id"]})
    assert ended.status_code == 200
    assert ended.headers["hx-trigger"] == "run-ended"
    assert "Not running" in ended.text
    assert "hx-refresh" not in ended.headers
    history = client.get(f"/syncs/{sync_id}/history")
    assert 'id="history"' in history.text
    assert 'hx-trigger="run-ended from:body"' in history.text
    assert [row[3] for row in _cells(history.text, "runs")] == ["499"]
