"""A frozen database cannot hold a run forever, a cancel interrupts a blocked call, and
errors name the side and connection that failed.

A `FaultProxy` (`tests/faults.py`) stands between Syncline and one database;
`freeze` stops it forwarding either way while the sockets stay open, as a
stopped server (SIGSTOP) or a black-holed route: the driver's call blocks,
and so does any cancel request sent to the same address. The source reads
3,000 rows in batches of 500; the target's third batch is frozen mid-load.

Every wait is on a state the test can observe (the proxy fired, an
execution ended, a session waits for a lock), with a generous bound.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from syncline.api.app import create_app
from syncline.settings import Settings
from tests.api.conftest import ADMIN_KEY, DEPLOYMENT_KEY, Org, Server, make_org
from tests.api.execution_fixtures import TERMINAL, wait_for_advisory_waiter
from tests.conftest import (
    PG_DSN,
    PG_HOST,
    PG_PORT,
    temporary_pg_schema,
)
from tests.faults import FaultProxy
from tests.proxied_tables import KINDS, proxied_table
from tests.proxied_tables import ProxiedTable as Target

ROWS = 3000
BATCH = 500
TIMEOUT = 2
LOADS = {"postgresql": b"COPY ", "mysql": b"LOAD DATA LOCAL"}
"""What the client sends to start loading a batch, per target."""
WAIT = 120
LOCK = 731_013
"""The advisory lock a bad record waits for in the isolation test."""


def _server(tmp_path_factory: pytest.TempPathFactory, **settings: Any) -> Iterator[Server]:
    configured = Settings(
        data_dir=tmp_path_factory.mktemp("data-frozen"),
        api_key=ADMIN_KEY,
        deployment_key=DEPLOYMENT_KEY,
        scheduler=False,
        local_roots=[tmp_path_factory.mktemp("local-frozen")],
        batch_size=BATCH,
        **settings,
    )
    app = create_app(configured)
    with TestClient(app) as client:
        yield Server(app=app, client=client, settings=configured, backend="sqlite")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with a statement timeout of `TIMEOUT` seconds."""
    yield from _server(tmp_path_factory, statement_timeout=TIMEOUT)


@pytest.fixture(scope="module")
def patient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with the default statement timeout (far beyond any wait here)."""
    yield from _server(tmp_path_factory)


@pytest.fixture(scope="module")
def source_table() -> Iterator[str]:
    """`schema.people`: ids 1..ROWS."""
    with temporary_pg_schema(
        "frozen_src",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text, note text)",
        f"INSERT INTO {{schema}}.people SELECT i, 'p' || i || '@example.com',"
        f" repeat('n', 40) FROM generate_series(1, {ROWS}) i",
    ) as schema:
        yield f"{schema}.people"


def _pg_ids(table: str) -> list[int]:
    schema, name = table.split(".")
    with psycopg.connect(PG_DSN) as conn:
        return [r[0] for r in conn.execute(f'SELECT id FROM "{schema}"."{name}"')]


COLUMNS = {
    "postgresql": "(id bigint, email text, note text)",
    "mysql": "(id BIGINT, email TEXT, note TEXT) ENGINE=InnoDB",
}


@pytest.fixture(params=KINDS)
def target(
    request: pytest.FixtureRequest, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> Iterator[Target]:
    """An empty table `t (id, email, note)` reached through a `FaultProxy`."""
    with proxied_table(request.param, pg_config, mysql_config, "frozen_t", COLUMNS) as table:
        yield table


# ------------------------------------------------------------ API helpers


def _connection(org: Org, kind: str, configuration: dict[str, Any], name: str) -> str:
    response = org.client.post(
        "/api/connections", json={"name": name, "type": kind, "configuration": configuration}
    )
    assert response.status_code == 200, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def _model(org: Org, connection_id: str, name: str = "people", **configuration: str) -> str:
    response = org.client.post(
        "/api/models",
        json={"name": name, "connection_id": connection_id, "configuration": configuration},
    )
    assert response.status_code == 200, response.text
    model_id: str = response.json()["data"]["id"]
    return model_id


def _sync(org: Org, model_id: str, connection_id: str, object_id: str, mode: str = "append") -> str:
    body: dict[str, Any] = {
        "name": f"frozen {uuid.uuid4().hex[:6]}",
        "mode": mode,
        "active": True,
        "schedule": {"frequency": "manual"},
        "target": {"connection_id": connection_id, "object": object_id},
        "fields": [
            {"source": {"model_id": model_id, "field": f}, "target": f}
            for f in ("id", "email", "note")
        ],
    }
    if mode != "append":
        body["identities"] = {
            "mappings": [
                {
                    "source": {"model_id": model_id, "field": "id"},
                    "target": "id",
                    "function": "Equality",
                }
            ]
        }
    response = org.client.post("/api/syncs", json=body)
    assert response.status_code == 200, response.text
    sync_id: str = response.json()["data"]["id"]
    return sync_id


def _start(org: Org, sync_id: str) -> str:
    response = org.client.post(f"/api/syncs/{sync_id}/executions", json={})
    assert response.status_code == 200, response.text
    execution_id: str = response.json()["data"]["id"]
    return execution_id


def _execution(org: Org, sync_id: str, execution_id: str) -> dict[str, Any]:
    answer = org.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}")
    execution: dict[str, Any] = answer.json()["data"]
    return execution


def _ended(org: Org, sync_id: str, execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        execution = _execution(org, sync_id, execution_id)
        if execution["status"] in TERMINAL:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not end within {WAIT} s")


def _cancel(org: Org, sync_id: str) -> None:
    answer = org.client.post(f"/api/syncs/{sync_id}/cancel")
    assert answer.status_code == 200, answer.text


def _exactly_once(ids: list[int], expected: list[int]) -> None:
    seen = Counter(ids)
    duplicated = sum(count - 1 for count in seen.values())
    assert duplicated == 0, f"{duplicated} rows duplicated"
    assert sorted(seen) == expected


@dataclass
class Setup:
    org: Org
    sync_id: str
    target_name: str
    source_name: str


def _setup(server: Server, pg_config: dict[str, Any], source: str, target: Target) -> Setup:
    org = make_org(server)
    source_name = f"warehouse-{uuid.uuid4().hex[:6]}"
    target_name = f"frozen-{uuid.uuid4().hex[:6]}"
    source_id = _connection(org, "postgresql", pg_config, source_name)
    target_id = _connection(org, target.kind, target.configuration, target_name)
    model_id = _model(org, source_id, table=source)
    return Setup(org, _sync(org, model_id, target_id, target.object_id), target_name, source_name)


# ------------------------------------------------------------ frozen target


def test_a_frozen_target_fails_the_run_naming_it_and_the_timeout_setting(
    quick: Server, pg_config: dict[str, Any], source_table: str, target: Target
) -> None:
    setup = _setup(quick, pg_config, source_table, target)
    target.proxy.arm("freeze", pattern=LOADS[target.kind], nth=3, after_bytes=2_000)
    execution_id = _start(setup.org, setup.sync_id)
    assert target.proxy.fired.wait(WAIT)
    execution = _ended(setup.org, setup.sync_id, execution_id)
    assert execution["status"] == "failed"
    [error] = execution["errors"]
    assert f"target '{setup.target_name}' ({target.kind}) did not answer for {TIMEOUT} s" in error
    assert "SYNCLINE_STATEMENT_TIMEOUT" in error
    # Still frozen: the batch the run never confirmed is not in the target.
    assert len(target.ids()) == 2 * BATCH

    target.proxy.disarm()
    again = _ended(setup.org, setup.sync_id, _start(setup.org, setup.sync_id))
    assert again["status"] == "completed", again["errors"]
    _exactly_once(target.ids(), list(range(1, ROWS + 1)))


def test_cancel_while_the_target_is_frozen_ends_the_run_canceled(
    patient: Server, pg_config: dict[str, Any], source_table: str, target: Target
) -> None:
    setup = _setup(patient, pg_config, source_table, target)
    target.proxy.arm("freeze", pattern=LOADS[target.kind], nth=3, after_bytes=2_000)
    execution_id = _start(setup.org, setup.sync_id)
    assert target.proxy.fired.wait(WAIT)
    _cancel(setup.org, setup.sync_id)
    execution = _ended(setup.org, setup.sync_id, execution_id)
    assert execution["status"] == "canceled", execution["errors"]
    assert execution["errors"] == []
    assert len(target.ids()) == 2 * BATCH

    target.proxy.disarm()
    again = _ended(setup.org, setup.sync_id, _start(setup.org, setup.sync_id))
    assert again["status"] == "completed", again["errors"]
    _exactly_once(target.ids(), list(range(1, ROWS + 1)))


# ------------------------------------------------------------ frozen source


def test_a_frozen_source_fails_the_run_naming_the_source(
    quick: Server, pg_config: dict[str, Any], source_table: str
) -> None:
    org = make_org(quick)
    with (
        temporary_pg_schema(
            "frozen_st", "CREATE TABLE {schema}.t (id bigint, email text, note text)"
        ) as schema,
        FaultProxy(PG_HOST, PG_PORT) as proxy,
    ):
        source_name = f"frozen-src-{uuid.uuid4().hex[:6]}"
        proxied = {**pg_config, "hostname": proxy.host, "port": proxy.port}
        source_id = _connection(org, "postgresql", proxied, source_name)
        target_id = _connection(org, "postgresql", pg_config, f"dst-{uuid.uuid4().hex[:6]}")
        model_id = _model(org, source_id, name="people model", table=source_table)
        sync_id = _sync(org, model_id, target_id, f"{schema}.t")
        # The read's statement is held: the source never answers it.
        proxy.arm("freeze", pattern=b"COPY (")
        execution_id = _start(org, sync_id)
        assert proxy.fired.wait(WAIT)
        execution = _ended(org, sync_id, execution_id)
        proxy.disarm()
        assert execution["status"] == "failed"
        [error] = execution["errors"]
        assert error.startswith(
            f"source '{source_name}' (postgresql), reading model 'people model'"
            f" (table: {source_table}), did not answer for {TIMEOUT} s"
        ), error
        assert "SYNCLINE_STATEMENT_TIMEOUT" in error
        assert _pg_ids(f"{schema}.t") == []


# ------------------------------------------------------------ cancel during isolation


@pytest.fixture
def guarded_table() -> Iterator[str]:
    """`schema.t`, whose trigger refuses every id divisible by 10; id 1250 first waits
    for the advisory lock `LOCK`. Records arrive in id order (the first run of an
    updateOrCreate writes them as it reads them), so an attempt reaches id 1250 before
    another bad record only once its batch (the third) is being isolated."""
    function = """
        CREATE FUNCTION {schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id % 10 = 0 THEN
                IF NEW.id = 1250 THEN
                    PERFORM pg_advisory_xact_lock_shared(%s);
                END IF;
                RAISE EXCEPTION 'id % is refused', NEW.id;
            END IF;
            RETURN NEW;
        END $$
    """.replace("%s", str(LOCK), 1)
    with temporary_pg_schema(
        "frozen_iso",
        "CREATE TABLE {schema}.t (id bigint PRIMARY KEY, email text, note text)",
        function,
        "CREATE TRIGGER refuse BEFORE INSERT ON {schema}.t"
        " FOR EACH ROW EXECUTE FUNCTION {schema}.refuse()",
    ) as schema:
        yield f"{schema}.t"


def test_cancel_during_isolation_of_bad_records_ends_the_run_canceled(
    patient: Server, pg_config: dict[str, Any], source_table: str, guarded_table: str
) -> None:
    org = make_org(patient)
    connection_id = _connection(org, "postgresql", pg_config, f"pg-{uuid.uuid4().hex[:6]}")
    model_id = _model(org, connection_id, table=source_table)
    sync_id = _sync(org, model_id, connection_id, guarded_table, mode="updateOrCreate")
    good = [i for i in range(1, ROWS + 1) if i % 10]
    with psycopg.connect(PG_DSN, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        execution_id = _start(org, sync_id)
        # Isolating the third batch, the attempt holding id 1250 waits for the lock.
        wait_for_advisory_waiter(LOCK, WAIT)
        _cancel(org, sync_id)
        execution = _ended(org, sync_id, execution_id)
        holder.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    assert execution["status"] == "canceled", execution["errors"]
    # The interrupted attempt was no record's fault: nothing of its batch was refused.
    assert execution["counts"]["error"] == 2 * BATCH // 10
    # The two batches before, and the attempts of the third that committed before it.
    landed = sorted(_pg_ids(guarded_table))
    assert landed[: len(good[:900])] == good[:900]
    assert all(i in good and i < 1250 for i in landed)

    again = _ended(org, sync_id, _start(org, sync_id))
    assert again["status"] == "completed", again["errors"]
    # Exactly what was not confirmed is sent: the rest of the good records, and the bad
    # ones again (to be refused again).
    assert again["counts"]["insert"] == len(good) - len(landed)
    assert again["counts"]["update"] == 0
    _exactly_once(_pg_ids(guarded_table), good)


# ------------------------------------------------------------ which side failed


def test_errors_name_the_side_and_connection_that_failed(
    patient: Server, pg_config: dict[str, Any], source_table: str
) -> None:
    org = make_org(patient)
    source_name = f"src-{uuid.uuid4().hex[:6]}"
    target_name = f"dst-{uuid.uuid4().hex[:6]}"
    source_id = _connection(org, "postgresql", pg_config, source_name)
    target_id = _connection(org, "postgresql", pg_config, target_name)
    with temporary_pg_schema(
        "named_t", "CREATE TABLE {schema}.t (id bigint, email text, note text)"
    ) as schema:
        query = f"SELECT id, email, note FROM {source_table} WHERE 1 / (id - 7) <> 0 OR id = 7"
        failing_model = _model(org, source_id, name="failing model", query=query)
        failing_read = _sync(org, failing_model, target_id, f"{schema}.t")
        execution = _ended(org, failing_read, _start(org, failing_read))
        assert execution["status"] == "failed"
        assert execution["errors"] == [
            f"source '{source_name}' (postgresql): reading model 'failing model'"
            f" (query: {query}) failed: division by zero"
        ]

        model_id = _model(org, source_id, table=source_table)
        failing_write = _sync(org, model_id, target_id, f"{schema}.t")
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{schema}".t DROP COLUMN note')
        execution = _ended(org, failing_write, _start(org, failing_write))
    assert execution["status"] == "failed"
    [error] = execution["errors"]
    assert error.startswith(f"target '{target_name}' (postgresql): "), error
    assert source_name not in error
