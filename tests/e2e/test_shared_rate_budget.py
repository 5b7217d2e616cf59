"""Three syncs on one connection, in three processes, share its rate limit.

Each process runs a sync of its own to one receiver, which counts arrivals per
wall-clock second. The connection's budget lives where every process meets:
the metadata store (SQLite and PostgreSQL) or Redis.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.rate_budget_child import RATE, sync_to_webhook
from tests.receivers import Receiver
from tests.store_fixtures import migrated_store
from tests.unit.shared_state_backends import Backend

PER_SYNC = 40


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "redis":
        yield Backend("redis", "redis://127.0.0.1:6379/0")
        return
    with migrated_store(request.param, tmp_path) as store:
        yield Backend(request.param, store.url)


def test_three_syncs_in_three_processes_never_exceed_the_connection_rate(
    backend: Backend, receiver: Receiver, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    results: Any = context.Queue()
    key = f"connection-{uuid.uuid4().hex}"
    url = receiver.url_for("/hook")
    processes = [
        context.Process(
            target=sync_to_webhook,
            args=(backend, key, url, str(tmp_path / f"s{n}"), n * 1000, PER_SYNC, start, results),
        )
        for n in range(3)
    ]
    for process in processes:
        process.start()
    inserted = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert inserted == [PER_SYNC] * 3
    per_second = receiver.per_second()
    print(f"arrivals per second ({backend.kind}): {dict(sorted(per_second.items()))}")
    assert sum(per_second.values()) == 3 * PER_SYNC
    assert max(per_second.values()) <= RATE
