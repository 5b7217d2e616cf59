"""Celery workers on two machines that do not share a data dir never send a sync twice.

Two `syncline worker` processes with different SYNCLINE_DATA_DIR stand for
two machines. The first runs an append sync of 10,000 records; the second,
which lacks that sync's state, must fail the next run saying which path it
looked in and what to set, and send nothing: the target keeps exactly the
first run's rows. One worker runs at a time, so each run lands where the
test means it to. Real processes over Redis; nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests.conftest import temporary_pg_schema
from tests.e2e.cluster import TERMINAL, Cluster, broker_url, pg, running_cluster, stop

pytestmark = pytest.mark.e2e

ROWS = 10_000


@pytest.fixture
def cluster(tmp_path: Path, pg_config: dict[str, Any]) -> Iterator[Cluster]:
    with (
        temporary_pg_schema(
            "e2e_state",
            "CREATE TABLE {schema}.src (id bigint PRIMARY KEY, v text)",
            f"INSERT INTO {{schema}}.src SELECT n, md5(n::text) FROM generate_series(1, {ROWS}) n",
            "CREATE TABLE {schema}.dst (id bigint, v text)",
        ) as schema,
        running_cluster(
            tmp_path,
            schema=schema,
            pg_config=pg_config,
            broker=broker_url("redis"),
            workers=0,
            # Workers on other machines share the secret key, not a data dir to generate it in.
            env={"SYNCLINE_SECRET_KEY": Fernet.generate_key().decode()},
        ) as cluster,
    ):
        yield cluster


def rows_and_ids(cluster: Cluster) -> tuple[int, int]:
    [(rows, ids)] = pg(f"SELECT count(*), count(DISTINCT id) FROM {cluster.schema}.dst")
    return rows, ids


def test_a_worker_without_the_sync_s_state_fails_the_run_and_sends_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    machine_a, machine_b = tmp_path / "machine-a", tmp_path / "machine-b"
    sync_id = cluster.sync("src", "dst", mode="append")
    worker_a = cluster.start_worker({"SYNCLINE_DATA_DIR": str(machine_a)})
    first_id = cluster.start(sync_id)
    first = cluster.wait(sync_id, first_id, TERMINAL, timeout=120)
    assert first["status"] == "completed", first
    assert rows_and_ids(cluster) == (ROWS, ROWS)
    assert (machine_a / "state" / sync_id / "generation.json").exists()
    stop(worker_a)

    cluster.start_worker({"SYNCLINE_DATA_DIR": str(machine_b)})
    second_id = cluster.start(sync_id)
    second = cluster.wait(sync_id, second_id, TERMINAL, timeout=120)

    assert second["status"] == "failed", second
    [error] = second["errors"]
    assert f"is not in {machine_b / 'state' / sync_id}: there is no such directory" in error
    assert "SYNCLINE_DATA_DIR must name a directory they all share" in error
    assert rows_and_ids(cluster) == (ROWS, ROWS)
    recorded = cluster.metadata(
        f"SELECT generation, execution_id FROM sync_states WHERE sync_id = '{sync_id}'"
    )
    assert recorded == [(1, first_id)]
