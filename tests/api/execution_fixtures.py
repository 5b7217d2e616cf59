"""Tables, connections, models and syncs shared by the execution tests."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from syncline.store.executions import ExecutionRepository
from syncline.store.syncs import SyncRepository
from syncline.store.tables import Execution
from tests.conftest import PG_DATABASE, PG_HOST, PG_PORT, PG_USER

if TYPE_CHECKING:
    from tests.api.conftest import Org

PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"
TERMINAL = {"completed", "canceled", "failed", "interrupted"}


def pg(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def schema() -> Iterator[str]:
    """A schema with a 500-row `people` source and an empty `people_copy` target."""
    name = f"exec_{uuid.uuid4().hex[:8]}"
    pg(f'CREATE SCHEMA "{name}"')
    pg(
        f'CREATE TABLE "{name}".people (id bigint PRIMARY KEY, email text NOT NULL,'
        " score numeric(10,2), seen_at timestamptz)"
    )
    pg(
        f"INSERT INTO \"{name}\".people SELECT i, 'p' || i || '@example.com', i * 1.5,"
        " '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 hour'"
        " FROM generate_series(1, 500) i"
    )
    pg(
        f'CREATE TABLE "{name}".people_copy (id bigint PRIMARY KEY, email text NOT NULL'
        " CHECK (email <> 'p13@example.com'), score numeric(10,2), seen_at timestamptz)"
    )
    yield name
    pg(f'DROP SCHEMA "{name}" CASCADE')


class Runner:
    """Creates a PG connection, a model and a sync in an org, and runs it."""

    def __init__(self, org: Org, pg_config: dict[str, Any], schema: str) -> None:
        self.org = org
        self.schema = schema
        connection = org.client.post(
            "/api/connections",
            json={"name": "pg", "type": "postgresql", "configuration": pg_config},
        ).json()["data"]
        self.connection_id = connection["id"]
        self.model_id = self.model(f"{schema}.people")

    def model(self, table: str | None = None, query: str | None = None) -> str:
        configuration = {"table": table} if table else {"query": query}
        response = self.org.client.post(
            "/api/models",
            json={"name": "m", "connection_id": self.connection_id, "configuration": configuration},
        )
        assert response.status_code == 200, response.text
        model_id: str = response.json()["data"]["id"]
        return model_id

    def sync(self, mode: str = "updateOrCreate", model_id: str | None = None, **extra: Any) -> str:
        model = model_id or self.model_id
        src = lambda f: {"model_id": model, "field": f}  # noqa: E731
        body: dict[str, Any] = {
            "name": f"{mode} people",
            "mode": mode,
            "active": True,
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": self.connection_id, "object": f"{self.schema}.people_copy"},
            "fields": [
                {"source": src(f), "target": f} for f in ("id", "email", "score", "seen_at")
            ],
            "identities": {
                "mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]
            },
        }
        body.update(extra)
        response = self.org.client.post("/api/syncs", json=body)
        assert response.status_code == 200, response.text
        sync_id: str = response.json()["data"]["id"]
        return sync_id

    def start(self, sync_id: str, **body: Any) -> Any:
        return self.org.client.post(f"/api/syncs/{sync_id}/executions", json=body)

    def run(self, sync_id: str, **body: Any) -> dict[str, Any]:
        started = self.start(sync_id, **body)
        assert started.status_code == 200, started.text
        return self.wait(sync_id, started.json()["data"]["id"])

    def wait(self, sync_id: str, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution: dict[str, Any] = self.org.client.get(
                f"/api/syncs/{sync_id}/executions/{execution_id}"
            ).json()["data"]
            if execution["status"] in TERMINAL:
                return execution
            time.sleep(0.05)
        raise AssertionError(f"execution {execution_id} did not end within {timeout} s")

    def holding(self, sync_id: str, status: str, **stamps: Any) -> str:
        """An execution in `status` that holds the sync's run slot, written straight to
        the store and never handed to an executor; `stamps` set its times. Its id."""
        store = self.org.server.app.state.syncline.store
        with store.session() as session:
            sync = SyncRepository(session, self.org.id).get(sync_id)
            execution = Execution(
                organization_id=self.org.id,
                sync_id=sync_id,
                status=status,
                type="manual",
                options={},
                counts={},
                errors=[],
                **stamps,
            )
            assert ExecutionRepository(session, None).take_slot(sync, execution)
            execution_id: str = execution.id
        return execution_id


@pytest.fixture
def runner(org: Org, pg_config: dict[str, Any], schema: str) -> Runner:
    return Runner(org, pg_config, schema)


def copy_rows(schema: str) -> list[tuple[Any, ...]]:
    return pg(f'SELECT id, email, score, seen_at FROM "{schema}".people_copy ORDER BY id')


def source_rows(schema: str) -> list[tuple[Any, ...]]:
    return pg(f'SELECT id, email, score, seen_at FROM "{schema}".people ORDER BY id')


def wait_for_advisory_waiter(lock: int, timeout: float = 120) -> None:
    """Return once a session waits for the advisory lock `lock` (a run reached its source)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = pg(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
            " AND NOT granted",
            [lock],
        )
        if waiting[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the run never reached its source query")


def run_in_thread(runtime: Any, execution_id: str) -> tuple[threading.Thread, list[BaseException]]:
    """`run_execution` on a thread of the test's own; what it raised lands in the list
    (it promises never to raise)."""
    from syncline.services.runs import run_execution

    crashed: list[BaseException] = []

    def target() -> None:
        try:
            run_execution(runtime, execution_id)
        except Exception as exc:  # noqa: BLE001 - recorded for the test to assert on
            crashed.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, crashed
