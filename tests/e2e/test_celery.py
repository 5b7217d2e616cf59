"""Executions on Celery workers over Redis and RabbitMQ, with real processes.

Per broker: `syncline serve` (API only, scheduler off), `syncline scheduler`
(which also reaps executions whose heartbeat stopped) and two
`syncline worker --concurrency 2`, all on a fresh PostgreSQL metadata
database. Nothing is mocked; every process is killed afterwards.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import PG_DSN, PG_HOST, PG_PORT, PG_USER, temporary_pg_schema
from tests.e2e.conftest import _free_port

pytestmark = pytest.mark.e2e

KEY = "sl_celery_e2e"
TERMINAL = {"completed", "canceled", "failed", "interrupted"}
SMALL_SYNCS = 20
SLOW_ROWS = 300_000
REDIS = "redis://127.0.0.1:6379"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


def pg(sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


@dataclass
class Cluster:
    """A serve, a scheduler and workers sharing one metadata store and one broker."""

    broker: str
    env: dict[str, str]
    data_dir: Path
    api: httpx.Client
    connection_id: str
    schema: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, name: str, *args: str, scheduler: str = "true") -> subprocess.Popen[bytes]:
        """Start `syncline <args>` in its own process group, logging to `<name>.log`."""
        with (self.data_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "syncline.cli", *args],
                env={**self.env, "SYNCLINE_SCHEDULER": scheduler},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A `syncline worker --concurrency 2`, returned once it takes tasks."""
        name = f"worker-{len(self.workers)}"
        process = self.spawn(name, "worker", "--concurrency", "2")
        self.workers.append(process)
        _wait_for(self.data_dir / f"{name}.log", " ready.", process)
        return process

    def sync(self, source: str, target: str) -> str:
        """An active manual updateOrCreate sync of `(id, v)` from `source` into `target`."""
        model = self.call(
            "POST",
            "/api/models",
            {
                "name": source,
                "connection_id": self.connection_id,
                "configuration": {"table": f"{self.schema}.{source}"},
            },
        )
        src = lambda f: {"model_id": model["id"], "field": f}  # noqa: E731
        created = self.call(
            "POST",
            "/api/syncs",
            {
                "name": f"{source} -> {target}",
                "mode": "updateOrCreate",
                "active": True,
                "schedule": {"frequency": "manual"},
                "target": {
                    "connection_id": self.connection_id,
                    "object": f"{self.schema}.{target}",
                },
                "fields": [{"source": src(f), "target": f} for f in ("id", "v")],
                "identities": {
                    "mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]
                },
            },
        )
        sync_id: str = created["id"]
        return sync_id

    def start(self, sync_id: str) -> str:
        execution_id: str = self.call("POST", f"/api/syncs/{sync_id}/executions", {})["id"]
        return execution_id

    def execution(self, sync_id: str, execution_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/syncs/{sync_id}/executions/{execution_id}")

    def wait(
        self, sync_id: str, execution_id: str, statuses: set[str], timeout: float
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(sync_id, execution_id)
            if execution["status"] in statuses or time.monotonic() > deadline:
                return execution
            time.sleep(0.2)

    def wait_running(self, sync_id: str, execution_id: str) -> None:
        """Until the execution is running and has read some rows."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            execution = self.execution(sync_id, execution_id)
            assert execution["status"] not in TERMINAL, execution
            if execution["status"] == "running" and execution["counts"]["total"] > 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} did not get going within 30 s")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.api.request(method, path, json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def same(self, source: str, target: str) -> bool:
        query = "SELECT id, v FROM {}.{} ORDER BY id"
        return pg(query.format(self.schema, source)) == pg(query.format(self.schema, target))


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"{log.name}: exited early:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    pytest.fail(f"{log.name}: no {text!r} within {timeout} s:\n{log.read_text(errors='replace')}")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"syncline serve exited early:\n{log.read_text()}")
        try:
            httpx.get(f"{url}/api/me", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"syncline serve did not answer within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and its children (its whole process group)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _metadata_database() -> Iterator[str]:
    name = f"syncline_meta_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _forget_queue(broker_url: str, queue: str) -> None:
    """Drop what this run left on the broker (its Redis database, its RabbitMQ queue)."""
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as connection:
        if broker_url.startswith("redis"):
            connection.default_channel.client.flushdb()
        else:
            connection.default_channel.queue_delete(queue)


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_config: dict[str, Any],
) -> Iterator[Cluster]:
    broker = str(request.param)
    broker_url = f"{REDIS}/{random.randint(1, 15)}" if broker == "redis" else RABBITMQ
    queue = f"syncline-test-{uuid.uuid4().hex[:10]}"
    data_dir = tmp_path_factory.mktemp(f"celery-{broker}")
    tables = [
        statement
        for i in range(SMALL_SYNCS)
        for statement in (
            f"CREATE TABLE {{schema}}.src{i} (id bigint PRIMARY KEY, v text)",
            f"INSERT INTO {{schema}}.src{i} SELECT n, 's{i}-' || n"
            f" FROM generate_series(1, {100 + 37 * i}) n",
            f"CREATE TABLE {{schema}}.dst{i} (id bigint PRIMARY KEY, v text)",
        )
    ]
    with ExitStack() as stack:
        metadata_url = stack.enter_context(_ContextIterator(_metadata_database()))
        schema = stack.enter_context(
            temporary_pg_schema(
                "e2e_celery",
                *tables,
                "CREATE TABLE {schema}.big (id bigint PRIMARY KEY, v text)",
                "INSERT INTO {schema}.big SELECT n, md5(n::text)"
                f" FROM generate_series(1, {SLOW_ROWS}) n",
                "CREATE TABLE {schema}.big_canceled (id bigint PRIMARY KEY, v text)",
                "CREATE TABLE {schema}.big_killed (id bigint PRIMARY KEY, v text)",
            )
        )
        stack.callback(_forget_queue, broker_url, queue)
        port = _free_port()
        env = {
            **os.environ,
            "SYNCLINE_DATA_DIR": str(data_dir),
            "SYNCLINE_DATABASE_URL": metadata_url,
            "SYNCLINE_API_KEY": KEY,
            "SYNCLINE_DEMO": "false",
            "SYNCLINE_EXECUTOR": "celery",
            "SYNCLINE_BROKER_URL": broker_url,
            "SYNCLINE_CELERY_QUEUE": queue,
            "SYNCLINE_HEARTBEAT_TIMEOUT": "5",
            "SYNCLINE_SCHEDULER_INTERVAL": "1",
            "SYNCLINE_BATCH_SIZE": "500",
        }
        api = stack.enter_context(
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=30,
            )
        )
        cluster = Cluster(broker, env, data_dir, api, connection_id="", schema=schema)
        stack.callback(lambda: [_stop(process) for process in cluster.started])
        serve = cluster.spawn(
            "serve", "serve", "--port", str(port), "--log-level", "warning", scheduler="false"
        )
        _wait_until_up(str(api.base_url), serve, data_dir / "serve.log")
        cluster.spawn("scheduler", "scheduler")
        cluster.start_worker()
        cluster.start_worker()
        connection = cluster.call(
            "POST",
            "/api/connections",
            {"name": "pg", "type": "postgresql", "configuration": pg_config},
        )
        cluster.connection_id = connection["id"]
        yield cluster


class _ContextIterator:
    """A one-value generator as a context manager (it runs its cleanup on exit)."""

    def __init__(self, generator: Iterator[str]) -> None:
        self.generator = generator

    def __enter__(self) -> str:
        return next(self.generator)

    def __exit__(self, *_: object) -> None:
        for _ in self.generator:
            pass


def test_many_syncs_run_on_workers_and_match_their_sources(cluster: Cluster) -> None:
    syncs = [cluster.sync(f"src{i}", f"dst{i}") for i in range(SMALL_SYNCS)]
    started = [(sync_id, cluster.start(sync_id)) for sync_id in syncs]

    ended = [cluster.wait(s, e, TERMINAL, timeout=60) for s, e in started]

    assert [e["status"] for e in ended] == ["completed"] * SMALL_SYNCS, ended
    for i, execution in enumerate(ended):
        assert execution["counts"]["insert"] == 100 + 37 * i
        assert cluster.same(f"src{i}", f"dst{i}")


def test_a_cancel_sent_to_the_api_stops_the_run_on_its_worker(cluster: Cluster) -> None:
    sync_id = cluster.sync("big", "big_canceled")
    execution_id = cluster.start(sync_id)
    cluster.wait_running(sync_id, execution_id)

    cluster.call("POST", f"/api/syncs/{sync_id}/executions/{execution_id}/cancel")

    ended = cluster.wait(sync_id, execution_id, TERMINAL, timeout=5)
    assert ended["status"] == "canceled", ended
    assert ended["counts"]["total"] < SLOW_ROWS


def test_a_killed_worker_s_run_is_interrupted_and_a_new_run_repairs_the_target(
    cluster: Cluster,
) -> None:
    sync_id = cluster.sync("big", "big_killed")
    execution_id = cluster.start(sync_id)
    cluster.wait_running(sync_id, execution_id)

    for worker in cluster.workers:  # whichever runs it: SIGKILL, no goodbye
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    killed_at = time.monotonic()
    interrupted = cluster.wait(sync_id, execution_id, TERMINAL, timeout=60)

    assert interrupted["status"] == "interrupted", interrupted
    assert time.monotonic() - killed_at < 60
    assert any("heartbeat" in error for error in interrupted["errors"]), interrupted
    assert 0 < pg(f"SELECT count(*) FROM {cluster.schema}.big_killed")[0][0] < SLOW_ROWS

    cluster.start_worker()  # a redelivered id of the killed run must not run again
    again = cluster.start(sync_id)
    ended = cluster.wait(sync_id, again, TERMINAL, timeout=90)

    assert ended["status"] == "completed", ended
    assert cluster.same("big", "big_killed")
    first = cluster.execution(sync_id, execution_id)
    assert first["status"] == "interrupted", first
    if cluster.broker == "rabbitmq":  # it hands the killed worker's message back at once
        fresh = cluster.data_dir / f"worker-{len(cluster.workers) - 1}.log"
        assert "already started or ended; not running it again" in fresh.read_text()
