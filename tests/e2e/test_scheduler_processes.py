"""Two `syncline scheduler` processes on one metadata store: one acts, the other stands by.

A `serve` (scheduler off) and two `syncline scheduler` processes share a
fresh PostgreSQL metadata store, with the local executor, so the process
that schedules an execution also runs it. A few syncs poll continuously
(every second) from a model that takes a while to read. The test reads the
`scheduler` lease row and what each process logs about the executions it
started, and shows that:

- only the process holding the lease starts executions;
- no sync ever has two executions running at once, and every sync runs;
- when the acting process is SIGKILLed, the other takes the lease once it
  expires (its TTL is max(3 x interval, 15 s)) and keeps every sync running.

Nothing is mocked; every process is killed afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import temporary_pg_schema
from tests.e2e.cluster import TERMINAL, Cluster, running_cluster
from tests.e2e.conftest import PATIENCE

pytestmark = pytest.mark.e2e

SYNCS = 4
INTERVAL = 0.5
LEASE_TTL = max(INTERVAL * 3, 15)  # what `Scheduler.tick()` takes the lease for
READ_SECONDS = 0.4  # each run reads a model that sleeps this long: runs overlap slots
ENV = {
    "SYNCLINE_SCHEDULER_INTERVAL": str(INTERVAL),
    "SYNCLINE_CONTINUOUS_INTERVAL": "1",
    "SYNCLINE_HEARTBEAT_TIMEOUT": "5",
    "SYNCLINE_REQUEUE_AFTER": "5",
    "SYNCLINE_WORKERS": str(SYNCS),
}
STARTED = re.compile(r"scheduler (\S+) \(lease holder\) started \d+ execution\(s\): (.+)$", re.M)


def test_one_scheduler_acts_at_a_time_and_the_other_takes_over_when_it_dies(
    tmp_path: Path, pg_config: dict[str, Any]
) -> None:
    tables = [
        statement
        for i in range(SYNCS)
        for statement in (
            f"CREATE TABLE {{schema}}.src{i} (id bigint PRIMARY KEY, v text)",
            f"INSERT INTO {{schema}}.src{i} SELECT n, 's{i}-' || n FROM generate_series(1, 50) n",
            f"CREATE TABLE {{schema}}.dst{i} (id bigint PRIMARY KEY, v text)",
        )
    ]
    with (
        temporary_pg_schema("e2e_schedulers", *tables) as schema,
        running_cluster(
            tmp_path, schema=schema, pg_config=pg_config, schedulers=0, workers=0, env=ENV
        ) as cluster,
    ):
        syncs = [
            cluster.sync(
                f"src{i}",
                f"dst{i}",
                schedule={"frequency": "continuous"},
                query=f"SELECT s.id, s.v FROM {schema}.src{i} s, pg_sleep({READ_SECONDS}) z",
            )
            for i in range(SYNCS)
        ]
        watch = _Watch(cluster, syncs)
        first, second = cluster.start_schedulers(2, log_level="info")

        # (a) One process holds the lease and it alone starts executions.
        watch.until(lambda: watch.completed_per_sync() >= 2, timeout=PATIENCE, what="two runs each")
        holder, _ = watch.lease()
        acting, standby = (first, second) if _pid(holder) == first.pid else (second, first)
        assert _pid(holder) == acting.pid, (holder, first.pid, second.pid)
        assert watch.holders_seen == {holder}, watch.holders_seen

        # (c) SIGKILL the acting process: the other takes over once the lease
        # it can no longer renew expires, which is within the TTL.
        os.killpg(acting.pid, signal.SIGKILL)
        acting.wait(timeout=10)
        killed_at = datetime.now(UTC)
        _, expires_at = watch.lease()
        assert expires_at - killed_at <= timedelta(seconds=LEASE_TTL), (killed_at, expires_at)
        watch.until(lambda: watch.lease()[0] != holder, timeout=PATIENCE, what="a takeover")
        successor, _ = watch.lease()
        assert _pid(successor) == standby.pid, (successor, standby.pid)

        # ... and keeps scheduling every sync (runs the dead process held are reaped).
        watch.until(
            lambda: watch.completed_per_sync(since=killed_at) >= 2,
            timeout=PATIENCE,
            what="two runs each after the takeover",
        )
        os.killpg(standby.pid, signal.SIGTERM)  # a clean stop: its last tick is logged
        assert standby.wait(timeout=PATIENCE) == 0

        # Who started what: the dead holder logged what it started before the
        # kill, its successor everything after, never before the lease expired.
        started = _started_by(cluster, len(cluster.schedulers))
        assert set(started) == {holder, successor}, started
        executions = watch.executions()
        assert {e["type"] for e in executions.values()} == {"scheduled"}
        before = {e for e, found in executions.items() if found["created_at"] < killed_at}
        assert started[successor] == set(executions) - before
        assert min(executions[e]["created_at"] for e in started[successor]) >= expires_at
        assert started[holder] <= before
        # The kill may land between a tick's commit and its log line: only
        # executions of that last tick may be missing from the dead one's log.
        last_logged = max(executions[e]["created_at"] for e in started[holder])
        unlogged = [executions[e] for e in before - started[holder]]
        assert len(unlogged) <= SYNCS, unlogged
        assert all(e["created_at"] > last_logged for e in unlogged), unlogged

        # (b) No sync ever had two executions running at once, and every sync ran.
        assert watch.overlaps_seen == [], watch.overlaps_seen
        by_sync: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for execution in executions.values():
            if execution["started_at"] is not None:
                by_sync[execution["sync_id"]].append(execution)
        assert set(by_sync) == set(syncs)
        for runs in by_sync.values():
            runs.sort(key=lambda e: e["started_at"])
            for previous, following in pairwise(runs):
                assert previous["completed_at"] is not None, previous
                assert following["started_at"] >= previous["completed_at"], (previous, following)
        # What the dead process held was ended by its successor's reaper.
        left = [executions[e] for e in before if executions[e]["status"] not in TERMINAL]
        assert left == [], left


class _Watch:
    """Reads the metadata store while the test waits, remembering what it saw.

    Every poll records the `scheduler` lease holder and any sync that has
    more than one execution in a started status at that instant.
    """

    def __init__(self, cluster: Cluster, syncs: list[str]) -> None:
        self.cluster = cluster
        self.syncs = syncs
        self.holders_seen: set[str] = set()
        self.overlaps_seen: list[tuple[Any, ...]] = []

    def lease(self) -> tuple[str, datetime]:
        """The `scheduler` lease: its holder (`host:pid:object`) and when it expires."""
        rows = self.cluster.metadata(
            "SELECT holder, expires_at FROM scheduler_leases WHERE name = 'scheduler'"
        )
        assert rows, "no process took the scheduler lease"
        holder: str = rows[0][0]
        expires_at: datetime = rows[0][1]
        return holder, expires_at

    def until(self, condition: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll every 0.2 s until `condition()`; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            self.holders_seen.update(
                row[0]
                for row in self.cluster.metadata(
                    "SELECT holder FROM scheduler_leases WHERE name = 'scheduler'"
                )
            )
            self.overlaps_seen += self.cluster.metadata(
                "SELECT sync_id, count(*) FROM executions"
                " WHERE status IN ('running', 'processing', 'canceling')"
                " GROUP BY sync_id HAVING count(*) > 1"
            )
            if condition():
                return
            if time.monotonic() > deadline:
                logs = "\n".join(
                    f"--- {path.name}:\n{path.read_text()[-3000:]}"
                    for path in sorted(self.cluster.data_dir.glob("scheduler-*.log"))
                )
                pytest.fail(f"no {what} within {timeout} s: {self.executions()}\n{logs}")
            time.sleep(0.2)

    def completed_per_sync(self, since: datetime | None = None) -> int:
        """The fewest completed executions any sync has (created after `since`, if given)."""
        counts = dict.fromkeys(self.syncs, 0)
        for execution in self.executions().values():
            after = since is None or execution["created_at"] > since
            if execution["status"] == "completed" and after:
                counts[execution["sync_id"]] += 1
        return min(counts.values())

    def executions(self) -> dict[str, dict[str, Any]]:
        """Every execution in the store, by id."""
        columns = ("id", "sync_id", "status", "type", "created_at", "started_at", "completed_at")
        rows = self.cluster.metadata(f"SELECT {', '.join(columns)} FROM executions")
        return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


def _pid(holder: str) -> int:
    """The process id in a lease holder string `host:pid:object`."""
    return int(holder.split(":")[-2])


def _started_by(cluster: Cluster, schedulers: int) -> dict[str, set[str]]:
    """Execution ids each lease holder logged as started, from the schedulers' output."""
    started: dict[str, set[str]] = defaultdict(set)
    for n in range(schedulers):
        for holder, ids in STARTED.findall(cluster.log(f"scheduler-{n}").read_text()):
            started[holder].update(ids.split())
    return started
