"""Executions on Celery workers over Redis and RabbitMQ, with real processes.

Per broker: `syncline serve` (API only, scheduler off), `syncline scheduler`
(which also reaps executions whose heartbeat stopped) and two
`syncline worker --concurrency 2`, all on a fresh PostgreSQL metadata
database. Nothing is mocked; every process is killed afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest

from tests.conftest import temporary_pg_schema
from tests.e2e.cluster import (
    TERMINAL,
    Cluster,
    broker_url,
    freeze_and_kill,
    pg,
    running_cluster,
    wait_for_text,
)
from tests.e2e.conftest import PATIENCE

pytestmark = pytest.mark.e2e

SMALL_SYNCS = 20
SLOW_ROWS = 300_000


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_config: dict[str, Any],
) -> Iterator[Cluster]:
    broker: Literal["redis", "rabbitmq"] = request.param
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
    with (
        temporary_pg_schema(
            "e2e_celery",
            *tables,
            "CREATE TABLE {schema}.big (id bigint PRIMARY KEY, v text)",
            "INSERT INTO {schema}.big SELECT n, md5(n::text)"
            f" FROM generate_series(1, {SLOW_ROWS}) n",
            "CREATE TABLE {schema}.big_canceled (id bigint PRIMARY KEY, v text)",
            "CREATE TABLE {schema}.big_killed (id bigint PRIMARY KEY, v text)",
        ) as schema,
        running_cluster(
            tmp_path_factory.mktemp(f"celery-{broker}"),
            schema=schema,
            pg_config=pg_config,
            broker=broker_url(broker),
            env={
                "SYNCLINE_HEARTBEAT_TIMEOUT": "5",
                "SYNCLINE_SCHEDULER_INTERVAL": "1",
                "SYNCLINE_BATCH_SIZE": "500",
            },
        ) as cluster,
    ):
        yield cluster


def test_many_syncs_run_on_workers_and_match_their_sources(cluster: Cluster) -> None:
    syncs = [cluster.sync(f"src{i}", f"dst{i}") for i in range(SMALL_SYNCS)]
    started = [(sync_id, cluster.start(sync_id)) for sync_id in syncs]

    ended = [cluster.wait(s, e, TERMINAL, timeout=PATIENCE) for s, e in started]

    assert [e["status"] for e in ended] == ["completed"] * SMALL_SYNCS, ended
    for i, execution in enumerate(ended):
        assert execution["counts"]["insert"] == 100 + 37 * i
        assert cluster.same(f"src{i}", f"dst{i}")


def test_a_cancel_sent_to_the_api_stops_the_run_on_its_worker(cluster: Cluster) -> None:
    sync_id = cluster.sync("big", "big_canceled")
    execution_id = cluster.start(sync_id)
    cluster.wait_running(sync_id, execution_id)

    cluster.call("POST", f"/api/syncs/{sync_id}/executions/{execution_id}/cancel")

    ended = cluster.wait(sync_id, execution_id, TERMINAL, timeout=PATIENCE)
    assert ended["status"] == "canceled", ended
    assert ended["counts"]["total"] < SLOW_ROWS


def test_a_killed_worker_s_run_is_interrupted_and_a_new_run_repairs_the_target(
    cluster: Cluster,
) -> None:
    sync_id = cluster.sync("big", "big_killed")
    execution_id = cluster.start(sync_id)
    cluster.wait_running(sync_id, execution_id)

    # Whichever runs it: SIGKILL, no goodbye. All at once: killed one after the
    # other, a worker still alive takes the message RabbitMQ hands back.
    freeze_and_kill(cluster.workers)
    interrupted = cluster.wait(sync_id, execution_id, TERMINAL, timeout=PATIENCE)

    assert interrupted["status"] == "interrupted", interrupted
    assert any("heartbeat" in error for error in interrupted["errors"]), interrupted
    assert 0 < pg(f"SELECT count(*) FROM {cluster.schema}.big_killed")[0][0] < SLOW_ROWS
    if cluster.broker == "rabbitmq":  # it hands the killed worker's message back at once
        _until(lambda: cluster.ready_messages() == 1, "the killed run's message back on the queue")

    fresh_worker = cluster.start_worker()  # the redelivered id of the killed run must not run
    again = cluster.start(sync_id)
    ended = cluster.wait(sync_id, again, TERMINAL, timeout=PATIENCE)

    assert ended["status"] == "completed", ended
    assert cluster.same("big", "big_killed")
    first = cluster.execution(sync_id, execution_id)
    assert first["status"] == "interrupted", first
    if cluster.broker == "rabbitmq":
        # The fresh worker is the queue's only consumer: the message is its to take,
        # in either order with the new run's.
        fresh = cluster.data_dir / f"worker-{len(cluster.workers) - 1}.log"
        wait_for_text(fresh, "already started or ended; not running it again", fresh_worker)


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition()`; fails after PATIENCE s."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {PATIENCE} s"
        time.sleep(0.2)
