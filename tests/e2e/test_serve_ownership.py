"""A `syncline serve` that starts (or fails to) leaves other processes' executions alone.

Real processes, real stores. A run is held in the middle of its first write
by a lock the test takes on its PostgreSQL target (a lock waiter in
`pg_locks` shows it is there), so it is running, for certain, while the test
starts, fails or restarts another server; the lock is then released and the
run must end `completed` with every record.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import PG_DSN, temporary_pg_schema
from tests.e2e.cluster import KEY, TERMINAL, Cluster, running_cluster, stop
from tests.e2e.conftest import _free_port, _wait_until_up, serve_process

pytestmark = pytest.mark.e2e

ROWS = 5_000
PATIENCE = 180
"""Seconds a wait for a state gives up after: a bound against a hang, not a speed goal."""


def _table(name: str, rows: int = 0) -> list[str]:
    """Statements creating an `(id, v)` table of `rows` rows."""
    statements = [f"CREATE TABLE {{schema}}.{name} (id bigint PRIMARY KEY, v text)"]
    if rows:
        statements.append(
            f"INSERT INTO {{schema}}.{name} SELECT n, md5(n::text)"
            f" FROM generate_series(1, {rows}) n"
        )
    return statements


@contextmanager
def held(schema: str, table: str) -> Iterator[None]:
    """An ACCESS EXCLUSIVE lock on `schema.table` until the block ends (then rolled back)."""
    with psycopg.connect(PG_DSN) as conn:
        conn.execute(f'LOCK TABLE "{schema}".{table} IN ACCESS EXCLUSIVE MODE')
        yield
        conn.rollback()


def wait_for_lock_waiter(schema: str, table: str) -> None:
    """Until some session waits for a lock on `schema.table` (a run blocked on its write)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE NOT l.granted AND n.nspname = %s AND c.relname = %s",
                (schema, table),
            ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.1)
    raise AssertionError(f"no run waited for {schema}.{table} within {PATIENCE} s")


def same(schema: str, source: str, target: str) -> bool:
    """Whether two `(id, v)` tables of `schema` hold the same rows."""
    query = 'SELECT id, v FROM "{}".{} ORDER BY id'
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        return (
            conn.execute(query.format(schema, source)).fetchall()
            == conn.execute(query.format(schema, target)).fetchall()
        )


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)


def _wait_ended(api: httpx.Client, sync_id: str, execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        execution = _data(api.get(f"/api/syncs/{sync_id}/executions/{execution_id}"))
        if execution["status"] in TERMINAL:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"execution {execution_id} did not end within {PATIENCE} s")


def _data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_restarting_one_server_leaves_the_other_servers_runs_alone(
    tmp_path: Path, pg_config: dict[str, Any]
) -> None:
    tables = [*_table("src_a", ROWS), *_table("dst_a"), *_table("src_q", ROWS), *_table("dst_q")]
    tables += [*_table("src_b", ROWS), *_table("dst_b")]
    with (
        temporary_pg_schema("e2e_owner", *tables) as schema,
        running_cluster(
            tmp_path,
            schema=schema,
            pg_config=pg_config,
            schedulers=0,
            workers=0,
            env={"SYNCLINE_WORKERS": "1", "SYNCLINE_BATCH_SIZE": "500"},
        ) as cluster,
    ):
        port_b = _free_port()
        server_b = _start_second_server(cluster, port_b)
        api_b = _client(f"http://127.0.0.1:{port_b}")
        sync_a, sync_q, sync_b = (cluster.sync(f"src_{x}", f"dst_{x}") for x in ("a", "q", "b"))
        with held(schema, "dst_a"), held(schema, "dst_b"):
            run_a = cluster.start(sync_a)  # on server A, its only pool thread
            queued = cluster.start(sync_q)  # waits behind it in server A's pool
            run_b = _data(api_b.post(f"/api/syncs/{sync_b}/executions", json={}))["id"]
            wait_for_lock_waiter(schema, "dst_a")
            wait_for_lock_waiter(schema, "dst_b")

            stop(server_b)  # SIGKILL in the middle of its run
            _start_second_server(cluster, port_b)  # up: its start-up repair is done

            rows = cluster.metadata(
                "SELECT id, status, completed_at, heartbeat_at, errors FROM executions"
            )
            found = {row[0]: row[1:] for row in rows}
            assert found[run_a][0] == "running", found[run_a]
            assert found[queued][0] == "queued", found[queued]
            status, completed_at, heartbeat_at, errors = found[run_b]
            assert status == "interrupted", found[run_b]
            assert completed_at == heartbeat_at
            assert len(errors) == 1, errors
            assert f"the process running it (pid {server_b.pid} on host " in errors[0]
            assert "stopped; its last heartbeat was at" in errors[0]

        for sync_id, execution_id, source, target in (
            (sync_a, run_a, "src_a", "dst_a"),
            (sync_q, queued, "src_q", "dst_q"),
        ):
            ended = _wait_ended(cluster.api, sync_id, execution_id)
            assert ended["status"] == "completed", ended
            assert ended["counts"]["insert"] == ROWS, ended
            assert same(schema, source, target)
        again = _data(api_b.post(f"/api/syncs/{sync_b}/executions", json={}))["id"]
        assert _wait_ended(api_b, sync_b, again)["status"] == "completed"
        assert same(schema, "src_b", "dst_b")


def _start_second_server(cluster: Cluster, port: int) -> subprocess.Popen[bytes]:
    """Another `serve` (scheduler off) on the cluster's store at `port`, once it answers."""
    process = cluster.spawn(
        "serve-b", "serve", "--port", str(port), "--log-level", "warning", scheduler="false"
    )
    _wait_until_up(f"http://127.0.0.1:{port}", process, cluster.log("serve-b"))
    return process


def test_a_second_server_on_a_busy_port_changes_nothing(
    tmp_path: Path, pg_config: dict[str, Any]
) -> None:
    data_dir = tmp_path / "data"
    settings = {"SYNCLINE_API_KEY": KEY, "SYNCLINE_DEMO": "false", "SYNCLINE_BATCH_SIZE": "500"}
    with (
        temporary_pg_schema("e2e_owner", *_table("src", ROWS), *_table("dst")) as schema,
        serve_process(data_dir, **settings) as live,
        _client(live.url) as api,
    ):
        sync_id = _sqlite_served_sync(api, pg_config, schema)
        with held(schema, "dst"):
            execution_id = _data(api.post(f"/api/syncs/{sync_id}/executions", json={}))["id"]
            wait_for_lock_waiter(schema, "dst")

            second = _serve_again(data_dir, live.port, settings)

            assert second.returncode == 1, second.stdout + second.stderr
            assert second.stderr.strip().splitlines() == [
                f"Error: cannot listen on 127.0.0.1:{live.port}: Address already in use; "
                "is another `syncline serve` running there? Stop it or choose another --port"
            ]
            assert "serving" not in second.stdout
            running = _data(api.get(f"/api/syncs/{sync_id}/executions/{execution_id}"))
            assert running["status"] == "running", running
        ended = _wait_ended(api, sync_id, execution_id)
        assert ended["status"] == "completed", ended
        assert ended["counts"]["insert"] == ROWS, ended
        assert same(schema, "src", "dst")


def test_runs_a_killed_server_had_queued_run_as_soon_as_it_is_back(
    tmp_path: Path, pg_config: dict[str, Any]
) -> None:
    """Its in-process pool's queue died with it: the restarted server runs what
    waited there at once, not `requeue_after` (here an hour) later, and the
    syncs take new runs meanwhile."""
    data_dir = tmp_path / "data"
    settings = {
        "SYNCLINE_API_KEY": KEY,
        "SYNCLINE_DEMO": "false",
        "SYNCLINE_BATCH_SIZE": "500",
        "SYNCLINE_WORKERS": "1",
        "SYNCLINE_REQUEUE_AFTER": "3600",
    }
    tables = [*_table("src", ROWS), *_table("dst"), *_table("dst_q")]
    with temporary_pg_schema("e2e_owner", *tables) as schema:
        with serve_process(data_dir, **settings) as first, _client(first.url) as api:
            running = _sqlite_served_sync(api, pg_config, schema)
            waiting = _sqlite_served_sync(api, pg_config, schema, target="dst_q")
            with held(schema, "dst"):
                run = _data(api.post(f"/api/syncs/{running}/executions", json={}))["id"]
                wait_for_lock_waiter(schema, "dst")
                # Behind the held run on the one pool thread.
                queued = _data(api.post(f"/api/syncs/{waiting}/executions", json={}))["id"]
                first.process.kill()
                first.process.wait(timeout=PATIENCE)
        with serve_process(data_dir, **settings) as second, _client(second.url) as api:
            ended = _wait_ended(api, waiting, queued)
            assert ended["status"] == "completed", ended
            assert ended["counts"]["insert"] == ROWS, ended
            assert same(schema, "src", "dst_q")
            interrupted = _data(api.get(f"/api/syncs/{running}/executions/{run}"))
            assert interrupted["status"] == "interrupted", interrupted
            again = _data(api.post(f"/api/syncs/{running}/executions", json={}))["id"]
            assert _wait_ended(api, running, again)["status"] == "completed"
            assert same(schema, "src", "dst")


def _sqlite_served_sync(
    api: httpx.Client, pg_config: dict[str, Any], schema: str, target: str = "dst"
) -> str:
    connection = _data(
        api.post(
            "/api/connections",
            json={"name": "pg", "type": "postgresql", "configuration": pg_config},
        )
    )["id"]
    model = _data(
        api.post(
            "/api/models",
            json={
                "name": "src",
                "connection_id": connection,
                "configuration": {"table": f"{schema}.src"},
            },
        )
    )["id"]
    src = lambda f: {"model_id": model, "field": f}  # noqa: E731
    return str(
        _data(
            api.post(
                "/api/syncs",
                json={
                    "name": f"src -> {target}",
                    "mode": "updateOrCreate",
                    "active": True,
                    "schedule": {"frequency": "manual"},
                    "target": {"connection_id": connection, "object": f"{schema}.{target}"},
                    "fields": [{"source": src(f), "target": f} for f in ("id", "v")],
                    "identities": {
                        "mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]
                    },
                },
            )
        )["id"]
    )


def _serve_again(data_dir: Path, port: int, settings: dict[str, str]) -> Any:
    env = {**os.environ, "SYNCLINE_DATA_DIR": str(data_dir), **settings}
    env.pop("SYNCLINE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "syncline.cli", "serve", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


@pytest.mark.parametrize("failure", ["busy port", "unreachable store"])
def test_a_failed_first_start_leaves_no_organization_key_or_demo(
    tmp_path: Path, failure: str
) -> None:
    data_dir = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNCLINE_")},
        "SYNCLINE_DATA_DIR": str(data_dir),
    }
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        if failure == "unreachable store":
            busy.close()  # the port is free; the store is not there
            env["SYNCLINE_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{_free_port()}/x"
        done = subprocess.run(
            [sys.executable, "-m", "syncline.cli", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )

    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    expected = "cannot listen on" if failure == "busy port" else "cannot use the metadata database"
    assert lines[0].startswith(f"Error: {expected}"), lines[0]
    assert done.stdout == ""  # no banner: it never served
    assert not (data_dir / "api-key").exists()
    assert not (data_dir / "demo").exists()
    assert not (data_dir / "syncline.db").exists()
    if failure == "busy port":
        assert not data_dir.exists()
