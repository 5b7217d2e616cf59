"""Executions through the API: real runs from PostgreSQL into PostgreSQL."""

from __future__ import annotations

import time

from tests.api.conftest import Org
from tests.api.execution_fixtures import Runner, copy_rows, pg, source_rows


def test_starting_an_inactive_sync_answers_400(runner: Runner) -> None:
    sync_id = runner.sync(active=False)
    response = runner.start(sync_id)
    assert response.status_code == 400
    assert "not active" in response.json()["message"]


def test_a_run_copies_every_record_and_logs_the_bad_one(runner: Runner, schema: str) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    assert execution["status"] == "completed", execution
    assert execution["counts"]["insert"] == 499
    assert execution["counts"]["error"] == 1
    assert execution["counts"]["update"] == 0
    expected = [row for row in source_rows(schema) if row[0] != 13]
    assert copy_rows(schema) == expected
    index = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution['id']}/logs").json()[
        "data"
    ]
    assert index["errors"]["count"] == 1
    assert index["inserts"]["count"] == 499


def test_a_second_run_moves_only_what_changed(runner: Runner, schema: str) -> None:
    sync_id = runner.sync()
    runner.run(sync_id)
    pg(f'UPDATE "{schema}".people SET score = score + 1 WHERE id <= 10')
    pg(f"INSERT INTO \"{schema}\".people VALUES (501, 'new@example.com', 1, NULL)")
    pg(f'DELETE FROM "{schema}".people WHERE id = 500')
    second = runner.run(sync_id)
    assert second["status"] == "completed", second
    counts = second["counts"]
    # Ten updated, one inserted, and the rejected record 13 is retried (and rejected again).
    assert (counts["update"], counts["insert"], counts["error"]) == (10, 1, 1)
    copy = {row[0]: row for row in copy_rows(schema)}
    assert all(
        copy[i] == row for i, row in {r[0]: r for r in source_rows(schema)}.items() if i != 13
    )
    assert 500 in copy  # updateOrCreate never deletes


def test_a_concurrent_start_answers_409(runner: Runner, schema: str) -> None:
    slow = runner.model(query=f'SELECT p.* FROM "{schema}".people p, pg_sleep(1.5) s')
    sync_id = runner.sync(model_id=slow)
    first = runner.start(sync_id)
    assert first.status_code == 200
    second = runner.start(sync_id)
    assert second.status_code == 409
    assert first.json()["data"]["id"] in second.json()["message"]
    runner.wait(sync_id, first.json()["data"]["id"])
    status = runner.org.client.get(f"/api/syncs/{sync_id}/status").json()["data"]
    assert status["current_execution"] is None
    assert status["last_execution"]["id"] == first.json()["data"]["id"]


def test_cancel_ends_the_execution_canceled(runner: Runner, schema: str) -> None:
    pg(
        f"INSERT INTO \"{schema}\".people SELECT i, 'q' || i, 0, NULL"
        " FROM generate_series(1000, 400000) i"
    )
    sync_id = runner.sync()
    execution_id = runner.start(sync_id).json()["data"]["id"]
    time.sleep(0.3)
    asked = time.monotonic()
    answer = runner.org.client.post(f"/api/syncs/{sync_id}/cancel")
    assert answer.status_code == 200
    execution = runner.wait(sync_id, execution_id)
    assert execution["status"] == "canceled"
    assert time.monotonic() - asked < 5


def test_executions_list_get_and_console(runner: Runner) -> None:
    sync_id = runner.sync()
    first = runner.run(sync_id)
    second = runner.run(sync_id)
    base = f"/api/syncs/{sync_id}/executions"
    newest = runner.org.client.get(base).json()
    assert [e["id"] for e in newest["data"]] == [second["id"], first["id"]]
    oldest = runner.org.client.get(base, params={"ascending": "true"}).json()
    assert [e["id"] for e in oldest["data"]] == [first["id"], second["id"]]
    console = runner.org.client.get(f"{base}/{first['id']}/consolelog").json()["data"]
    assert any("completed" in e["message"] for e in console["entries"])


def test_record_logs_download_through_signed_links(runner: Runner) -> None:
    server_client = runner.org.server.client
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    base = f"/api/syncs/{sync_id}/executions/{execution['id']}"
    links = runner.org.client.get(f"{base}/errors").json()["data"]
    assert len(links["urls"]) == 1
    download = server_client.get(links["urls"][0])
    assert download.status_code == 200
    assert "p13@example.com" in download.text
    redirect = runner.org.client.get(f"{base}/errors/errors.jsonl", follow_redirects=False)
    assert redirect.status_code == 302
    forged = links["urls"][0].rsplit(".", 1)[0] + ".0000"
    assert server_client.get(forged).status_code == 404


def test_another_organization_cannot_touch_executions(runner: Runner, other_org: Org) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    theirs = other_org.client
    base = f"/api/syncs/{sync_id}"
    assert theirs.post(f"{base}/executions", json={}).status_code == 404
    assert theirs.get(f"{base}/status").status_code == 404
    assert theirs.get(f"{base}/executions").status_code == 404
    assert theirs.get(f"{base}/executions/{execution['id']}").status_code == 404
    assert theirs.post(f"{base}/executions/{execution['id']}/cancel").status_code == 404
    assert theirs.get(f"{base}/executions/{execution['id']}/logs").status_code == 404


def test_deleting_a_running_sync_cancels_it(runner: Runner, schema: str) -> None:
    slow = runner.model(query=f'SELECT p.* FROM "{schema}".people p, pg_sleep(1) s')
    sync_id = runner.sync(model_id=slow)
    assert runner.start(sync_id).status_code == 200
    assert runner.org.client.delete(f"/api/syncs/{sync_id}").status_code == 200
    assert runner.org.client.get(f"/api/syncs/{sync_id}").status_code == 404


def test_rejected_records_are_not_retried_when_auto_retry_is_off(runner: Runner) -> None:
    sync_id = runner.sync()
    settings = {"auto_retry_record_errors": False}
    assert (
        runner.org.client.put(f"/api/syncs/{sync_id}/error-handling", json=settings).status_code
        == 200
    )
    assert runner.run(sync_id)["counts"]["error"] == 1
    assert runner.run(sync_id)["counts"]["error"] == 0


def test_a_test_run_syncs_only_its_identities_and_keeps_the_state(
    runner: Runner, schema: str
) -> None:
    sync_id = runner.sync()
    tested = runner.run(sync_id, test=True, identities=["1", "2"])
    assert tested["status"] == "completed", tested
    assert tested["type"] == "test"
    assert tested["counts"]["insert"] == 2
    assert [row[0] for row in copy_rows(schema)] == [1, 2]
    full = runner.run(sync_id)
    assert (full["counts"]["insert"], full["counts"]["update"]) == (497, 2)


def test_a_test_run_needs_identities_and_identities_need_a_test_run(runner: Runner) -> None:
    sync_id = runner.sync()
    assert runner.start(sync_id, test=True).status_code == 400
    assert runner.start(sync_id, identities=["1"]).status_code == 400
