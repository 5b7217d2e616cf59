"""Real Syncline processes sharing one metadata store: the machinery of the scale-out tests.

`running_cluster()` starts, as subprocesses of `python -m syncline.cli`, one
`syncline serve` (its own scheduler off), any number of `syncline scheduler`
and `syncline worker --concurrency 2` processes, all on a fresh PostgreSQL
metadata database and (for the Celery executor) one broker queue of their
own. A `Cluster` is the handle on them: it starts more processes, creates
models and syncs through the API, runs and watches executions, and reads
the metadata store directly. Nothing is mocked; every process it started is
killed (SIGKILL to its whole process group) when the context ends.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil
import psycopg
import pytest

from tests.conftest import PG_DSN, PG_HOST, PG_PORT, PG_USER
from tests.e2e.conftest import PATIENCE, _free_port, _wait_until_up

KEY = "sl_cluster_e2e"
TERMINAL = {"completed", "canceled", "failed", "interrupted"}
REDIS = "redis://127.0.0.1:6379"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"

Process = subprocess.Popen[bytes]


def pg(sql: str, dsn: str = PG_DSN) -> list[tuple[Any, ...]]:
    """Run one statement (autocommit) on PostgreSQL, the test database by default; its rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def broker_url(broker: Literal["redis", "rabbitmq"]) -> str:
    """A broker URL: a random Redis database (1-15), or the RabbitMQ default vhost."""
    return f"{REDIS}/{random.randint(1, 15)}" if broker == "redis" else RABBITMQ


@dataclass
class Cluster:
    """Syncline processes sharing one metadata store (and one broker queue, for Celery).

    `env` is the environment every process starts with; `api` reaches the
    `serve` process with the admin key; `connection_id` is a `postgresql`
    connection to the test database, where `schema` holds the test's tables.
    """

    env: dict[str, str]
    data_dir: Path
    metadata_url: str
    api: httpx.Client
    schema: str
    connection_id: str = ""
    workers: list[Process] = field(default_factory=list)
    schedulers: list[Process] = field(default_factory=list)
    started: list[Process] = field(default_factory=list)

    @property
    def broker(self) -> str | None:
        """`redis`, `rabbitmq`, or None when executions run in the local executor."""
        url = self.env.get("SYNCLINE_BROKER_URL")
        if self.env.get("SYNCLINE_EXECUTOR") != "celery" or not url:
            return None
        return "redis" if url.startswith("redis") else "rabbitmq"

    def spawn(
        self,
        name: str,
        *args: str,
        scheduler: str = "true",
        log_level: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Process:
        """Start `syncline <args>` in its own process group, appending its output to `<name>.log`.

        `scheduler` is SYNCLINE_SCHEDULER (whether a `serve` runs one);
        `log_level` is passed as `--log-level` (commands that take it);
        `env` overrides settings for this process only.
        """
        level = ["--log-level", log_level] if log_level else []
        with self.log(name).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "syncline.cli", *args, *level],
                env={**self.env, "SYNCLINE_SCHEDULER": scheduler, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def log(self, name: str) -> Path:
        """Where the process started as `name` writes its output."""
        return self.data_dir / f"{name}.log"

    def start_worker(self, env: Mapping[str, str] | None = None) -> Process:
        """A `syncline worker --concurrency 2` named `worker-<n>`, returned once it takes tasks.

        `env` overrides settings for this worker only (its own data dir, say).
        """
        name = f"worker-{len(self.workers)}"
        process = self.spawn(name, "worker", "--concurrency", "2", env=env)
        self.workers.append(process)
        wait_for_text(self.log(name), " ready.", process)
        return process

    def start_schedulers(self, count: int = 1, log_level: str | None = None) -> list[Process]:
        """`count` `syncline scheduler` processes named `scheduler-<n>`, started together.

        Returned once each one's scheduler and reaper loops run.
        """
        names = [f"scheduler-{len(self.schedulers) + i}" for i in range(count)]
        processes = [self.spawn(name, "scheduler", log_level=log_level) for name in names]
        self.schedulers.extend(processes)
        for name, process in zip(names, processes, strict=True):
            wait_for_text(self.log(name), "scheduler and reaper running", process)
        return processes

    def model(self, name: str, configuration: dict[str, Any]) -> str:
        """A model on the test connection (`{"table": ...}` or `{"query": ...}`); its id."""
        created = self.call(
            "POST",
            "/api/models",
            {"name": name, "connection_id": self.connection_id, "configuration": configuration},
        )
        model_id: str = created["id"]
        return model_id

    def sync(
        self,
        source: str,
        target: str,
        *,
        schedule: dict[str, Any] | None = None,
        query: str | None = None,
        mode: str = "updateOrCreate",
    ) -> str:
        """An active sync of `(id, v)` from `source` into `target` by `mode`; its id.

        Both are tables in `schema`; with `query`, the model is that query
        instead of the `source` table. The schedule defaults to manual.
        """
        configuration = {"query": query} if query else {"table": f"{self.schema}.{source}"}
        model_id = self.model(source, configuration)
        src = lambda f: {"model_id": model_id, "field": f}  # noqa: E731
        created = self.call(
            "POST",
            "/api/syncs",
            {
                "name": f"{source} -> {target}",
                "mode": mode,
                "active": True,
                "schedule": schedule or {"frequency": "manual"},
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
        """Start a manual execution of the sync; its id."""
        execution_id: str = self.call("POST", f"/api/syncs/{sync_id}/executions", {})["id"]
        return execution_id

    def execution(self, sync_id: str, execution_id: str) -> dict[str, Any]:
        """The execution as the API shows it."""
        return self.call("GET", f"/api/syncs/{sync_id}/executions/{execution_id}")

    def wait(
        self, sync_id: str, execution_id: str, statuses: set[str], timeout: float
    ) -> dict[str, Any]:
        """The execution once its status is in `statuses`, or as it is after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(sync_id, execution_id)
            if execution["status"] in statuses or time.monotonic() > deadline:
                return execution
            time.sleep(0.2)

    def wait_running(self, sync_id: str, execution_id: str) -> None:
        """Until the execution is running and has read some rows (fails after PATIENCE s)."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            execution = self.execution(sync_id, execution_id)
            assert execution["status"] not in TERMINAL, execution
            if execution["status"] == "running" and execution["counts"]["total"] > 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} did not get going within {PATIENCE} s")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call that must answer 200; its `data`."""
        response = self.api.request(method, path, json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def ready_messages(self) -> int:
        """Messages waiting on the cluster's broker queue, not handed to any worker."""
        from kombu import Connection

        url, queue = self.env["SYNCLINE_BROKER_URL"], self.env["SYNCLINE_CELERY_QUEUE"]
        with Connection(url, connect_timeout=5) as connection:
            channel = connection.default_channel
            if url.startswith("redis"):
                return int(channel.client.llen(queue))
            _, count, _ = channel.queue_declare(queue=queue, passive=True)
            return int(count)

    def metadata(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a statement run directly on the metadata store."""
        return pg(sql, self.metadata_url)

    def same(self, source: str, target: str) -> bool:
        """Whether two `(id, v)` tables of `schema` hold the same rows."""
        query = "SELECT id, v FROM {}.{} ORDER BY id"
        return pg(query.format(self.schema, source)) == pg(query.format(self.schema, target))


@contextmanager
def running_cluster(
    data_dir: Path,
    *,
    schema: str,
    pg_config: Mapping[str, Any],
    broker: str | None = None,
    schedulers: int = 1,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """A `serve` (scheduler off), `schedulers` schedulers and `workers` workers, up and ready.

    With a `broker` URL the executor is Celery on a queue of its own, which
    is emptied afterwards; without one it is the local executor (executions
    run inside whichever process starts them, and `workers` must be 0).
    `env` overrides or adds SYNCLINE_* settings for every process. The
    metadata database is created here and dropped on exit, after every
    process is killed; `schema` (tables of the test) is the caller's.
    """
    if broker is None and workers:
        raise ValueError("`syncline worker` needs a broker")
    queue = f"syncline-test-{uuid.uuid4().hex[:10]}"
    with ExitStack() as stack:
        metadata_url = stack.enter_context(metadata_database())
        if broker is not None:
            stack.callback(forget_queue, broker, queue)
        port = _free_port()
        api = stack.enter_context(
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=30,
            )
        )
        settings = {
            "SYNCLINE_DATA_DIR": str(data_dir),
            "SYNCLINE_DATABASE_URL": metadata_url,
            "SYNCLINE_API_KEY": KEY,
            "SYNCLINE_DEMO": "false",
            "SYNCLINE_EXECUTOR": "local" if broker is None else "celery",
            **({} if broker is None else {"SYNCLINE_BROKER_URL": broker}),
            "SYNCLINE_CELERY_QUEUE": queue,
            **(env or {}),
        }
        cluster = Cluster({**os.environ, **settings}, data_dir, metadata_url, api, schema)
        stack.callback(lambda: [stop(process) for process in cluster.started])
        serve = cluster.spawn(
            "serve", "serve", "--port", str(port), "--log-level", "warning", scheduler="false"
        )
        _wait_until_up(str(api.base_url), serve, cluster.log("serve"))
        cluster.start_schedulers(schedulers)
        for _ in range(workers):
            cluster.start_worker()
        connection = cluster.call(
            "POST",
            "/api/connections",
            {"name": "pg", "type": "postgresql", "configuration": dict(pg_config)},
        )
        cluster.connection_id = connection["id"]
        yield cluster


def wait_for_text(log: Path, text: str, process: Process, timeout: float = PATIENCE) -> None:
    """Until `text` shows in `log`; fails the test if the process exits or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"{log.name}: exited early:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    pytest.fail(f"{log.name}: no {text!r} within {timeout} s:\n{log.read_text(errors='replace')}")


def freeze_and_kill(processes: list[Process]) -> None:
    """SIGKILL every process (with its group) at one instant, as far as any other can tell.

    Each group is stopped first (SIGSTOP) and, once every process in every group
    is seen stopped, all are killed: none of them runs a line after the first one
    died (so none takes back a broker message the first one's death released).
    """
    groups = [psutil.Process(process.pid) for process in processes]
    for process in processes:
        os.killpg(process.pid, signal.SIGSTOP)
    members = [m for leader in groups for m in (leader, *leader.children(recursive=True))]
    deadline = time.monotonic() + PATIENCE
    while not all(_stopped(member) for member in members):
        assert time.monotonic() < deadline, "SIGSTOPped processes did not stop"
        time.sleep(0.05)
    for process in processes:
        stop(process)


def _stopped(process: psutil.Process) -> bool:
    try:
        return process.status() in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def stop(process: Process) -> None:
    """Kill the process and its children (its whole process group) and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@contextmanager
def metadata_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for a metadata store; its URL. Dropped on exit."""
    name = f"syncline_meta_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_queue(broker: str, queue: str) -> None:
    """Drop what a run left on the broker (its Redis database, its RabbitMQ queue)."""
    from kombu import Connection

    with Connection(broker, connect_timeout=5) as connection:
        if broker.startswith("redis"):
            connection.default_channel.client.flushdb()
        else:
            connection.default_channel.queue_delete(queue)
