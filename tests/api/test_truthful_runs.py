"""Runs report the truth: counts say what the target holds, rejected records are
errors, messages name the user's table and model, console lines are plain text."""

from __future__ import annotations

import csv
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from syncline import cli
from syncline.api.app import create_app
from syncline.services.reaper import _take_start, reap_stale
from syncline.services.runs import Runtime
from syncline.settings import Settings
from syncline.store.tables import utcnow
from tests.api.conftest import ADMIN_KEY, DEPLOYMENT_KEY, Org, Server, make_org
from tests.api.execution_fixtures import PG_DSN, Runner, copy_rows, pg
from tests.conftest import MYSQL_HOST, MYSQL_PORT, MYSQL_USER, maria, temporary_maria_database

BATCH = 100


@pytest.fixture(scope="module")
def small_batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app (SQLite metadata) reading and writing batches of `BATCH` records,
    so that a run of a few hundred records has several batches."""
    local_root = tmp_path_factory.mktemp("local-small")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data-small"),
        api_key=ADMIN_KEY,
        deployment_key=DEPLOYMENT_KEY,
        scheduler=False,
        local_roots=[local_root],
        batch_size=BATCH,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield Server(app=app, client=client, settings=settings, backend="sqlite")


@pytest.fixture
def small(small_batches: Server, pg_config: dict[str, Any], schema: str) -> Runner:
    """A `Runner` in a fresh organization of `small_batches`, over 1,000 people."""
    pg(
        f"INSERT INTO \"{schema}\".people SELECT i, 'p' || i || '@example.com', i * 1.5,"
        " '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 hour'"
        " FROM generate_series(501, 1000) i"
    )
    return Runner(make_org(small_batches), pg_config, schema)


def _connection(org: Org, type_: str, configuration: dict[str, Any]) -> str:
    response = org.client.post(
        "/api/connections",
        json={
            "name": f"{type_}-{uuid.uuid4().hex[:6]}",
            "type": type_,
            "configuration": configuration,
        },
    )
    assert response.status_code == 200, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def _files_target(runner: Runner) -> tuple[dict[str, str], Path]:
    """A `files` target `out.csv` (header only) under the server's local roots."""
    roots = runner.org.server.settings.local_roots
    assert roots
    directory = roots[0] / uuid.uuid4().hex[:10]
    directory.mkdir()
    (directory / "out.csv").write_text("id,email,score,seen_at\n")
    connection_id = _connection(runner.org, "files", {"path": str(directory)})
    return {"connection_id": connection_id, "object": "out.csv"}, directory / "out.csv"


def _maria_target(runner: Runner, database: str) -> dict[str, str]:
    connection_id = _connection(
        runner.org,
        "mysql",
        {
            "hostname": MYSQL_HOST,
            "port": MYSQL_PORT,
            "dbname": database,
            "account": MYSQL_USER,
            "passwd": "",
        },
    )
    return {"connection_id": connection_id, "object": f"{database}.people_copy"}


MARIA_COPY = (
    "CREATE TABLE {database}.people_copy (id BIGINT PRIMARY KEY, email TEXT NOT NULL,"
    " score DECIMAL(10,2), seen_at DATETIME(6)) ENGINE=InnoDB"
)


def _console(runner: Runner, sync_id: str, execution_id: str) -> list[str]:
    return [entry["message"] for entry in _console_entries(runner, sync_id, execution_id)]


def _console_entries(runner: Runner, sync_id: str, execution_id: str) -> list[dict[str, Any]]:
    base = f"/api/syncs/{sync_id}/executions/{execution_id}/consolelog"
    entries: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params = {"after": after} if after else {}
        page = runner.org.client.get(base, params=params).json()["data"]
        entries += page["entries"]
        after = page["next_cursor"]
        if after is None:
            return entries


def _ended(entries: list[dict[str, Any]]) -> bool:
    """Whether a run's console shows its last line: completed, or a warning or error."""
    return any(
        e["level"] in ("warning", "error") or e["message"].startswith("sync completed")
        for e in entries
    )


def _until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s")
        time.sleep(0.05)


# ------------------------------------------------------------------ counts


@pytest.mark.parametrize("target", ["files", "postgresql"])
def test_a_run_that_fails_counts_only_what_its_target_holds(
    small: Runner, schema: str, target: str
) -> None:
    # Rows come in table order; the query fails on row 550, after five batches were written.
    query = f'SELECT id, email, score, seen_at, 1 / (id - 550) AS boom FROM "{schema}".people'
    options: dict[str, Any] = {}
    out: Path | None = None
    if target == "files":
        options["target"], out = _files_target(small)
    sync_id = small.sync(model_id=small.model(query=query), **options)

    execution = small.run(sync_id)

    assert execution["status"] == "failed", execution
    counts = execution["counts"]
    assert counts["total"] >= BATCH  # records were handed to the target before the failure
    if out is not None:
        # A file target publishes at the end: a failed run wrote nothing to it.
        assert out.read_text() == "id,email,score,seen_at\n"
        assert counts["insert"] == counts["upserts"] == 0
    else:
        assert counts["insert"] == len(copy_rows(schema)) > 0


def test_a_replace_whose_swap_fails_counts_nothing_written(small: Runner, schema: str) -> None:
    pg(f"INSERT INTO \"{schema}\".people_copy VALUES (1, 'old@example.com', 0, NULL)")
    pg(f'CREATE TABLE "{schema}".child (ref bigint REFERENCES "{schema}".people_copy (id))')
    pg(f'INSERT INTO "{schema}".child VALUES (1)')
    sync_id = small.sync("replace")

    execution = small.run(sync_id)

    assert execution["status"] == "failed", execution
    assert "violates foreign key constraint" in execution["errors"][0]
    assert copy_rows(schema) == [(1, "old@example.com", 0, None)]
    assert execution["counts"]["insert"] == 0


def test_a_replace_into_mariadb_whose_swap_fails_counts_nothing_written(small: Runner) -> None:
    with temporary_maria_database(
        "truth",
        MARIA_COPY,
        "CREATE TABLE {database}.child (ref BIGINT,"
        " FOREIGN KEY (ref) REFERENCES {database}.people_copy (id)) ENGINE=InnoDB",
        "INSERT INTO {database}.people_copy VALUES (1, 'old@example.com', 0, NULL)",
        "INSERT INTO {database}.child VALUES (1)",
    ) as database:
        sync_id = small.sync("replace", target=_maria_target(small, database))

        execution = small.run(sync_id)

        assert execution["status"] == "failed", execution
        assert "foreign key constraint fails" in execution["errors"][0]
        assert maria(database, "SELECT id FROM people_copy") == [(1,)]
        assert execution["counts"]["insert"] == 0


@pytest.mark.parametrize("target", ["files", "postgresql"])
def test_an_interrupted_run_counts_what_was_committed(
    small: Runner, schema: str, target: str
) -> None:
    key = int(uuid.uuid4().int % 2**31)
    # Row 250 waits for an advisory lock the test holds, so two batches are written first:
    # rows of 10 kB reach Syncline as they are read, never held in the server's buffers.
    query = (
        f"SELECT id, email, score, seen_at, repeat('x', 10000) AS pad"
        f' FROM "{schema}".people'
        f" WHERE id <> 250 OR pg_advisory_lock_shared({key})::text = ''"
    )
    options: dict[str, Any] = {}
    out: Path | None = None
    if target == "files":
        options["target"], out = _files_target(small)
    sync_id = small.sync(model_id=small.model(query=query), **options)
    base = f"/api/syncs/{sync_id}/executions"
    with psycopg.connect(PG_DSN, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))
        execution_id = small.start(sync_id).json()["data"]["id"]

        def stored() -> dict[str, int]:
            counts: dict[str, int] = small.org.client.get(f"{base}/{execution_id}").json()["data"][
                "counts"
            ]
            return counts

        _until(
            lambda: bool(
                pg(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND objid = %s",
                    (key,),
                )
            ),
            "the run waiting for row 250",
        )
        _until(lambda: stored().get("total") == 2 * BATCH, "the counts of two batches stored")
        # The process dies here: the reaper ends the run on its stale heartbeat.
        state = small.org.server.app.state.syncline
        runtime = Runtime(state.store, state.box, state.settings)
        later = utcnow() + timedelta(seconds=state.settings.heartbeat_timeout + 60)
        assert execution_id in reap_stale(runtime, later)
        reaped = small.org.client.get(f"{base}/{execution_id}").json()["data"]
        held = len(list(csv.DictReader(out.open()))) if out else len(copy_rows(schema))

        assert reaped["status"] == "interrupted"
        assert reaped["counts"]["insert"] == held
        assert held == (0 if out else 2 * BATCH - 1)  # person 13 is refused by people_copy
        holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
    # The runner, alive after all in this test, ends its run before the schema goes.
    _until(lambda: _ended(_console_entries(small, sync_id, execution_id)), "the run's own end")


def test_an_execution_taken_by_a_runner_that_died_at_once_is_running_and_reaped(
    runner: Runner,
) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "queued")
    state = runner.org.server.app.state.syncline
    runtime = Runtime(state.store, state.box, state.settings)
    base = f"/api/syncs/{sync_id}/executions/{execution_id}"

    assert _take_start(runtime, execution_id)  # ... and the runner's process dies here
    taken = runner.org.client.get(base).json()["data"]

    assert taken["started_at"] is not None
    assert taken["status"] == "running"
    later = utcnow() + timedelta(seconds=state.settings.heartbeat_timeout + 60)
    assert execution_id in reap_stale(runtime, later)
    assert runner.org.client.get(base).json()["data"]["status"] == "interrupted"
    assert runner.run(sync_id)["status"] == "completed"


# ------------------------------------------------------------------ rejected records


class _CliClient(TestClient):
    """The CLI's HTTP client, in the app's process: leaving it closes only itself
    (a `TestClient` would also stop the app the other tests share)."""

    def __init__(self, org: Org) -> None:
        super().__init__(org.server.app, headers={"Authorization": f"Bearer {org.key}"})

    def __enter__(self) -> _CliClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def test_a_run_whose_records_were_all_rejected_says_so_and_the_cli_fails(
    runner: Runner, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg(f'ALTER TABLE "{schema}".people_copy ADD CONSTRAINT no_one CHECK (score < 0)')
    sync_id = runner.sync()
    monkeypatch.setattr(cli, "_client", lambda: _CliClient(runner.org))

    result = CliRunner().invoke(cli.main, ["syncs", "run", sync_id, "--wait"])

    execution_id = re.search(r"execution (\S+) queued", result.output)
    assert execution_id, result.output
    execution = runner.org.client.get(
        f"/api/syncs/{sync_id}/executions/{execution_id.group(1)}"
    ).json()["data"]
    assert execution["status"] == "completed"
    assert execution["counts"]["error"] == 500
    [error] = execution["errors"]
    assert re.fullmatch(
        r"all 500 records were rejected; the first \(identity \d+\): new row for relation "
        r'"people_copy" violates check constraint "no_one"',
        error,
    ), error
    assert error in _console(runner, sync_id, execution["id"])
    assert result.exit_code == 1
    assert "completed with errors: 500 records, 0 inserted" in result.output
    assert f"error: {error}" in result.output


def test_a_run_whose_records_were_all_rejected_by_mariadb_says_so(small: Runner) -> None:
    with temporary_maria_database(
        "truth",
        MARIA_COPY,
        "ALTER TABLE {database}.people_copy ADD CONSTRAINT no_one CHECK (score < 0)",
    ) as database:
        sync_id = small.sync(target=_maria_target(small, database))

        execution = small.run(sync_id)

        assert execution["status"] == "completed"
        assert execution["counts"]["error"] == 1000
        [error] = execution["errors"]
        assert error.startswith("all 1000 records were rejected; the first (identity "), error
        assert f"CONSTRAINT `no_one` failed for `{database}`.`people_copy`" in error


def test_a_run_with_some_records_rejected_reports_them_as_its_errors(runner: Runner) -> None:
    execution = runner.run(runner.sync())

    assert execution["status"] == "completed"
    assert execution["errors"] == [
        "1 of 500 records was rejected (identity 13): new row for relation "
        '"people_copy" violates check constraint "people_copy_email_check"'
    ]


def test_a_clean_run_has_no_errors(runner: Runner, schema: str) -> None:
    pg(f'ALTER TABLE "{schema}".people_copy DROP CONSTRAINT people_copy_email_check')

    execution = runner.run(runner.sync())

    assert (execution["status"], execution["errors"]) == ("completed", [])


# ------------------------------------------------------------------ names in messages


def test_a_replace_names_the_users_table_never_its_staging_table(runner: Runner) -> None:
    sync_id = runner.sync("replace")

    execution = runner.run(sync_id)

    [error] = execution["errors"]
    assert '"people_copy" violates check constraint "people_copy_email_check"' in error
    base = f"/api/syncs/{sync_id}/executions/{execution['id']}"
    [url] = runner.org.client.get(f"{base}/errors").json()["data"]["urls"]
    logged = runner.org.server.client.get(url).text
    assert "p13@example.com" in logged
    assert "_syncline_stage_" not in logged + error


def test_a_replace_into_mariadb_names_the_users_table(small: Runner) -> None:
    with temporary_maria_database(
        "truth",
        MARIA_COPY,
        "ALTER TABLE {database}.people_copy ADD CONSTRAINT not_13"
        " CHECK (email <> 'p13@example.com')",
    ) as database:
        execution = small.run(small.sync("replace", target=_maria_target(small, database)))

        [error] = execution["errors"]
        assert f"CONSTRAINT `not_13` failed for `{database}`.`people_copy`" in error, error
        assert "_syncline_stage_" not in error


def test_a_failing_source_query_says_which_model_and_query(runner: Runner, schema: str) -> None:
    query = f'SELECT id, email, score, seen_at, 1 / (id - 250) AS boom FROM "{schema}".people'
    query_with_lines = query.replace(" FROM", "\n  FROM")
    sync_id = runner.sync(model_id=runner.model(query=query_with_lines))

    execution = runner.run(sync_id)

    assert execution["status"] == "failed"
    assert execution["errors"] == [
        f"source 'pg' (postgresql): reading model 'm' (query: {query}) failed: division by zero"
    ]


def test_a_failing_table_model_says_which_model_and_table(runner: Runner, schema: str) -> None:
    pg(f'CREATE TABLE "{schema}".gone AS SELECT * FROM "{schema}".people')
    sync_id = runner.sync(model_id=runner.model(f"{schema}.gone"))
    pg(f'DROP TABLE "{schema}".gone')

    execution = runner.run(sync_id)

    assert execution["status"] == "failed"
    [error] = execution["errors"]
    prefix = f"source 'pg' (postgresql): reading model 'm' (table: {schema}.gone) failed: "
    assert error.startswith(prefix), error


# ------------------------------------------------------------------ console


REPR = re.compile(r"\[\s*'|\{\s*'|\(\s*'[^']*',|<\w+(\.\w+)+: |\b(SyncMode|FilterFunction)\.")
"""What Python's repr of a list, dict, tuple or enum member looks like."""


def test_console_lines_are_plain_text(runner: Runner, schema: str) -> None:
    # Every record lands, so the second run reads only what changed since the first.
    pg(f'ALTER TABLE "{schema}".people_copy DROP CONSTRAINT people_copy_email_check')
    model = runner.org.client.post(
        "/api/models",
        json={
            "name": "tracked",
            "connection_id": runner.connection_id,
            "configuration": {"table": f"{schema}.people"},
            "tracking_columns": ["seen_at"],
        },
    )
    assert model.status_code == 200, model.text
    sync_id = runner.sync(model_id=model.json()["data"]["id"])
    first = runner.run(sync_id)
    pg(f'UPDATE "{schema}".people SET score = 0 WHERE id = 7')
    second = runner.run(sync_id)

    lines = _console(runner, sync_id, first["id"]) + _console(runner, sync_id, second["id"])

    assert (
        "reading only rows changed since the last run (seen_at >= 2026-01-21T20:00:00+00:00)"
        in (lines)
    )
    assert [line for line in lines if REPR.search(line)] == []
