"""Benchmark: executions per minute one Syncline scheduler sustains, and how late they start.

Runs Syncline as a user would (`syncline serve` plus the HTTP API) over N tiny
PostgreSQL -> PostgreSQL updateOrCreate syncs (one source table of `--rows`
rows and one target table per sync, in a scratch schema of database `test`).

1. Throughput: every sync `continuous` with SYNCLINE_CONTINUOUS_INTERVAL=1, so
   demand exceeds capacity. After `--warmup` seconds, executions completed
   during `--duration` seconds are counted (per minute), next to the queued
   backlog, how busy the execution slots were, and the scheduler's batches.
2. Latency: every sync switched to an every-minute cron schedule; once idle,
   for each of the next `--boundaries` minute boundaries, the distribution of
   created_at (queued) and started_at minus the boundary (the due slot), the
   runs the boundary never got, and when its last run completed.

Timestamps come from the metadata store's `executions` rows, read directly
(read-only). The scheduler interval is Syncline's default unless
`--scheduler-interval` is given. Inherited SYNCLINE_* variables are ignored.

    .venv/bin/python bench/scheduler_throughput.py [--syncs 200] [--duration 60]
        [--workers 4] [--metadata postgresql|sqlite] [--executor local|celery]
        [--boundaries 2] [--skip-throughput | --skip-latency] [--keep-logs]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, databases `test` and
`postgres`); with `--executor celery`, Redis (`--broker-url`). Everything it
creates (schema, metadata database, data directory, broker queue, processes)
is removed at the end. Prints a Markdown report on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from syncline.settings import Settings
from syncline.store.executions import ACTIVE_STATUSES

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=test"
ADMIN_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
KEY = "sl_bench_key"
EVERY_MINUTE = {
    "frequency": "custom",
    "minute": "*",
    "hour": "*",
    "day_of_month": "*",
    "month": "*",
    "day_of_week": "*",
}
MINUTE = timedelta(minutes=1)


def say(message: str) -> None:
    """Progress, on stderr so stdout stays the report."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """Cores, RAM, CPU model and load, from /proc."""
    model = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with psycopg.connect(DSN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "load average at start (1/5/15 min)": load,
        "Python": sys.version.split()[0],
        "PostgreSQL": str(row[0]) if row else "unknown",
    }


# -- reading the metadata store --------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One `executions` row, timestamps in UTC."""

    id: str
    sync_id: str
    status: str
    type: str
    created: datetime
    started: datetime | None
    completed: datetime | None


def _utc(value: Any) -> datetime | None:
    """A stored timestamp (aware from PostgreSQL, ISO text in UTC from SQLite) as aware UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Metadata:
    """Read-only queries on the metadata store the server writes."""

    def __init__(self, url: str | None, sqlite_path: Path) -> None:
        self._pg: psycopg.Connection[Any] | None = None
        self._lite: sqlite3.Connection | None = None
        if url:
            self._pg = psycopg.connect(url, autocommit=True)
            self._pg.execute("SET default_transaction_read_only = on")
        else:
            self._lite = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, timeout=30)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            return self._pg.execute(sql.replace("?", "%s"), params).fetchall()
        assert self._lite is not None
        return self._lite.execute(sql, params).fetchall()

    def active(self) -> Counter[str]:
        """Executions not ended, by status."""
        marks = ", ".join("?" for _ in ACTIVE_STATUSES)
        rows = self._rows(
            f"SELECT status, count(*) FROM executions WHERE status IN ({marks}) GROUP BY status",
            ACTIVE_STATUSES,
        )
        return Counter({str(status): int(count) for status, count in rows})

    def runs(self) -> list[Run]:
        """Every execution."""
        rows = self._rows(
            "SELECT id, sync_id, status, type, created_at, started_at, completed_at FROM executions"
        )
        return [
            Run(str(i), str(s), str(st), str(t), _utc(c) or utcnow(), _utc(b), _utc(e))
            for i, s, st, t, c, b, e in rows
        ]

    def log_spans(self) -> dict[str, tuple[datetime, datetime]]:
        """Per execution with two or more console lines: its first and last line's time.

        A run logs `sync started` once it has prepared (store reads, connections,
        target lookup) and `sync completed` when the engine is done.
        """
        rows = self._rows(
            'SELECT execution_id, min("timestamp"), max("timestamp") FROM execution_logs'
            " GROUP BY execution_id HAVING count(*) >= 2"
        )
        spans = {}
        for execution_id, first, last in rows:
            begin, end = _utc(first), _utc(last)
            if begin and end:
                spans[str(execution_id)] = (begin, end)
        return spans

    def pg_counters(self) -> Counter[str] | None:
        """The metadata database's cumulative commits and row writes (PostgreSQL only)."""
        if self._pg is None:
            return None
        names = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted")
        row = self._pg.execute(
            f"SELECT {', '.join(names)} FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        return Counter(dict(zip(names, map(int, row or (0,) * len(names)), strict=True)))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
        if self._lite is not None:
            self._lite.close()


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Processes:
    """`syncline` subprocesses, each in its own process group, logging to `<name>.log`."""

    logs: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "syncline.cli", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def wait_for(self, name: str, text: str, process: subprocess.Popen[bytes]) -> None:
        """Until `<name>.log` shows `text`; exits with the log when the process dies first."""
        log = self.logs / f"{name}.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if text in log.read_text(errors="replace"):
                return
            if process.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"{name}: no {text!r}:\n{log.read_text(errors='replace')[-4000:]}")

    def stop_all(self) -> None:
        """SIGTERM each process group (workers first), SIGKILL what is left after 30 s."""
        for process in reversed(self.started):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def cpu_seconds(groups: Sequence[int]) -> float:
    """User + system CPU seconds of the live processes in these process groups."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_up(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if client.get("/api/me", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"syncline serve did not come up:\n{log.read_text(errors='replace')[-4000:]}")


def call(
    client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = client.request(method, path, json=body)
    if response.status_code != 200:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
    data: dict[str, Any] = response.json()["data"]
    return data


# -- scratch data and stores -----------------------------------------------------------------


def create_tables(schema: str, syncs: int, rows: int) -> None:
    """`src<i>` with `rows` rows and an empty `dst<i>`, for each sync."""
    statements = [f'CREATE SCHEMA "{schema}"']
    for i in range(syncs):
        statements += [
            f'CREATE TABLE "{schema}".src{i} (id bigint PRIMARY KEY, v text)',
            f"INSERT INTO \"{schema}\".src{i} SELECT n, 's{i}-' || n"
            f" FROM generate_series(1, {rows}) n",
            f'CREATE TABLE "{schema}".dst{i} (id bigint PRIMARY KEY, v text)',
        ]
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(";\n".join(statements))


def drop_schema(schema: str) -> None:
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def create_database(name: str) -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_queue(broker_url: str, queue: str) -> None:
    """Delete this run's Redis keys (the queue, its priority lists, its bindings).

    Shared kombu keys (`_kombu.binding_deadlines`, pidbox) are left alone.
    """
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        keys = [
            *client.scan_iter(match=f"{queue}*"),
            f"_kombu.binding.{queue}",
            f"_kombu.binding_permanent.{queue}",
        ]
        client.delete(*keys)
    finally:
        client.close()


# -- the syncs -------------------------------------------------------------------------------


def sync_body(
    i: int, model_id: str, connection_id: str, schema: str, schedule: dict[str, Any]
) -> dict[str, Any]:
    def src(name: str) -> dict[str, str]:
        return {"model_id": model_id, "field": name}

    return {
        "name": f"bench {i}",
        "mode": "updateOrCreate",
        "active": False,
        "schedule": schedule,
        "target": {"connection_id": connection_id, "object": f"{schema}.dst{i}"},
        "fields": [{"source": src(f), "target": f} for f in ("id", "v")],
        "identities": {"mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]},
    }


def create_syncs(client: httpx.Client, schema: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` inactive continuous syncs; (id, body) each."""
    config = {"hostname": PG_HOST, "port": PG_PORT, "database": "test", "username": PG_USER}
    connection = call(
        client,
        "POST",
        "/api/connections",
        {"name": "pg", "type": "postgresql", "configuration": config},
    )
    syncs = []
    for i in range(count):
        model = call(
            client,
            "POST",
            "/api/models",
            {
                "name": f"src{i}",
                "connection_id": connection["id"],
                "configuration": {"table": f"{schema}.src{i}"},
            },
        )
        body = sync_body(i, model["id"], connection["id"], schema, {"frequency": "continuous"})
        syncs.append((call(client, "POST", "/api/syncs", body)["id"], body))
        if (i + 1) % 50 == 0:
            say(f"created {i + 1}/{count} models and syncs")
    return syncs


# -- statistics ------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def dist(values: Sequence[float]) -> str:
    """`p50 / p95 / max` in seconds."""
    if not values:
        return "-"
    return f"{pct(values, 50):.2f} / {pct(values, 95):.2f} / {max(values):.2f}"


def seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


# -- phase 1: throughput ---------------------------------------------------------------------


@dataclass
class Throughput:
    window: float
    completed: int
    other_ended: Counter[str]
    per_minute: float
    started: int
    wait: list[float]
    run: list[float]
    split: tuple[list[float], list[float], list[float]]
    busy: float
    queued: list[int]
    running: list[int]
    batches: list[int]
    batch_spans: list[float]
    cpu: dict[str, float]
    writes: Counter[str] | None


def throughput(
    client: httpx.Client,
    meta: Metadata,
    sync_ids: Sequence[str],
    *,
    warmup: float,
    duration: float,
    capacity: int,
    interval: float,
    groups: dict[str, list[int]],
) -> Throughput:
    for sync_id in sync_ids:
        call(client, "POST", f"/api/syncs/{sync_id}/activate", {"active": True})
    say(f"activated {len(sync_ids)} continuous syncs; warming up {warmup:.0f} s")
    time.sleep(warmup)
    start = utcnow()
    cpu_start = {name: cpu_seconds(pgids) for name, pgids in groups.items()}
    writes_start = meta.pg_counters()
    say(f"measuring for {duration:.0f} s")
    queued: list[int] = []
    running: list[int] = []
    while utcnow() < start + timedelta(seconds=duration):
        active = meta.active()
        queued.append(active["queued"] + active["created"])
        running.append(active["running"])
        time.sleep(1.0)
    end = utcnow()
    window = seconds(end, start)
    cpu = {name: (cpu_seconds(pgids) - cpu_start[name]) / window for name, pgids in groups.items()}
    writes_end = meta.pg_counters()
    writes = None
    if writes_start is not None and writes_end is not None:
        writes = Counter(
            {k: round((writes_end[k] - v) / window * 60) for k, v in writes_start.items()}
        )
    runs = meta.runs()

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    ended = [r for r in runs if within(r.completed)]
    completed = [r for r in ended if r.status == "completed"]
    started = [r for r in runs if within(r.started)]
    spans = meta.log_spans()
    logged = [(r, spans[r.id]) for r in completed if r.id in spans and r.started and r.completed]
    split = (
        [seconds(first, r.started) for r, (first, _) in logged if r.started],
        [seconds(last, first) for _, (first, last) in logged],
        [seconds(r.completed, last) for r, (_, last) in logged if r.completed],
    )
    busy = sum(
        max(0.0, seconds(min(r.completed or end, end), max(r.started, start)))
        for r in runs
        if r.started is not None and r.started < end
    )
    created = sorted(r.created for r in runs if within(r.created))
    batches: list[list[datetime]] = []
    for moment in created:  # one scheduler tick inserts its executions close together
        if batches and seconds(moment, batches[-1][-1]) < interval / 2:
            batches[-1].append(moment)
        else:
            batches.append([moment])
    return Throughput(
        window=window,
        completed=len(completed),
        other_ended=Counter(r.status for r in ended if r.status != "completed"),
        per_minute=len(completed) / window * 60,
        started=len(started),
        wait=[seconds(r.started, r.created) for r in started if r.started],
        run=[seconds(r.completed, r.started) for r in completed if r.completed and r.started],
        split=split,
        busy=busy / (capacity * window),
        queued=queued,
        running=running,
        batches=[len(b) for b in batches],
        batch_spans=[seconds(b[-1], b[0]) for b in batches],
        cpu=cpu,
        writes=writes,
    )


# -- phase 2: latency from the due minute ----------------------------------------------------


@dataclass
class Boundary:
    due: datetime
    runs: list[Run]
    expected: int

    @property
    def queued(self) -> list[float]:
        return [seconds(r.created, self.due) for r in self.runs]

    @property
    def started(self) -> list[float]:
        return [seconds(r.started, self.due) for r in self.runs if r.started]

    @property
    def last_completed(self) -> float | None:
        done = [r.completed for r in self.runs if r.completed]
        if not done or len(done) < len(self.runs):
            return None
        return seconds(max(done), self.due)


def wait_idle(meta: Metadata, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sum(meta.active().values()) and time.monotonic() < deadline:
        time.sleep(0.5)


def latency(
    client: httpx.Client,
    meta: Metadata,
    syncs: Sequence[tuple[str, dict[str, Any]]],
    *,
    boundaries: int,
    interval: float,
) -> list[Boundary]:
    began = time.monotonic()
    for sync_id, body in syncs:
        call(
            client,
            "PUT",
            f"/api/syncs/{sync_id}",
            {**body, "schedule": EVERY_MINUTE, "active": True},
        )
    took = time.monotonic() - began
    say(
        f"{len(syncs)} syncs now run every minute ({took:.1f} s of PUTs,"
        f" {took / len(syncs) * 1000:.0f} ms each); waiting for the runs in flight to end"
    )
    wait_idle(meta, 300)
    soon = utcnow() + timedelta(seconds=1)
    first = soon.replace(second=0, microsecond=0) + MINUTE
    dues = [first + k * MINUTE for k in range(boundaries)]
    last = dues[-1]
    say(f"measuring the slots {', '.join(f'{d:%H:%M}' for d in dues)} (UTC)")

    def of(due: datetime, runs: list[Run]) -> list[Run]:
        return [r for r in runs if r.type == "scheduled" and due <= r.created < due + MINUTE]

    # Until every run of the last slot has ended, or just before the slot after it.
    while utcnow() < last + MINUTE + timedelta(seconds=55):
        time.sleep(1.0)
        if utcnow() < last + timedelta(seconds=interval + 3):
            continue
        runs = of(last, meta.runs())
        if len(runs) == len(syncs) and all(r.completed for r in runs):
            break
    runs = meta.runs()
    for sync_id, _ in syncs:  # no more slots while the report is made
        call(client, "POST", f"/api/syncs/{sync_id}/activate", {"active": False})
    return [Boundary(due, of(due, runs), len(syncs)) for due in dues]


# -- report ----------------------------------------------------------------------------------


def report(
    host: dict[str, str],
    settings: dict[str, str],
    result: Throughput | None,
    slots: list[Boundary] | None,
) -> None:
    print("## Syncline scheduler benchmark\n")
    print("| machine | |")
    print("|---|---|")
    for key, value in host.items():
        print(f"| {key} | {value} |")
    print("\n| setting | value |")
    print("|---|---|")
    for key, value in settings.items():
        print(f"| {key} | {value} |")
    if result is not None:
        others = ", ".join(f"{k} {v}" for k, v in result.other_ended.items()) or "none"
        print("\n### Throughput (continuous schedules, demand above capacity)\n")
        print("| figure | value |")
        print("|---|---|")
        print(f"| window | {result.window:.1f} s |")
        print(f"| **executions completed per minute** | **{result.per_minute:,.1f}** |")
        print(f"| completed in window / other endings | {result.completed} / {others} |")
        print(f"| started in window | {result.started} |")
        print(f"| execution slots busy (started..completed) | {result.busy:.0%} |")
        samples = max(1, len(result.queued))
        print(
            f"| queued backlog mean / max (1 s samples) | {sum(result.queued) / samples:.1f}"
            f" / {max(result.queued, default=0)} |"
        )
        print(
            f"| running mean / max | {sum(result.running) / samples:.1f}"
            f" / {max(result.running, default=0)} |"
        )
        print(f"| queue wait, created -> started, p50 / p95 / max s | {dist(result.wait)} |")
        print(f"| run time, started -> completed, p50 / p95 / max s | {dist(result.run)} |")
        prepare, engine, finish = result.split
        print(f"| - started -> `sync started` line (prepare), s | {dist(prepare)} |")
        print(f"| - `sync started` -> `sync completed` line (engine), s | {dist(engine)} |")
        print(f"| - `sync completed` line -> completed, s | {dist(finish)} |")
        print(
            f"| scheduler batches in window / executions per batch p50 / max | "
            f"{len(result.batches)} / {pct(result.batches, 50):.0f}"
            f" / {max(result.batches, default=0)} |"
        )
        print(f"| time to insert one batch, p50 / p95 / max s | {dist(result.batch_spans)} |")
        for name, share in result.cpu.items():
            print(f"| CPU of {name}, share of one core | {share:.0%} |")
        if result.writes is not None:
            w = result.writes
            print(
                f"| metadata DB per minute: commits / rows inserted / updated / deleted"
                f" | {w['xact_commit']:,} / {w['tup_inserted']:,} / {w['tup_updated']:,}"
                f" / {w['tup_deleted']:,} |"
            )
    if slots:
        print("\n### Latency from the due minute (every-minute cron schedules)\n")
        print(
            "| due slot (UTC) | runs created / expected | queued - due, p50 / p95 / max s"
            " | started - due, p50 / p95 / max s | not started | last completed - due s |"
        )
        print("|---|---|---|---|---|---|")
        for slot in slots:
            finished = slot.last_completed
            print(
                f"| {slot.due:%H:%M} | {len(slot.runs)} / {slot.expected} | {dist(slot.queued)}"
                f" | {dist(slot.started)} | {len(slot.runs) - len(slot.started)}"
                f" | {'-' if finished is None else f'{finished:.1f}'} |"
            )
        if len(slots) > 1:
            queued = [x for s in slots for x in s.queued]
            started = [x for s in slots for x in s.started]
            total = sum(len(s.runs) for s in slots)
            expected = sum(s.expected for s in slots)
            print(
                f"| all | {total} / {expected} | {dist(queued)} | {dist(started)}"
                f" | {total - len(started)} | - |"
            )


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--syncs", type=int, default=200, help="syncs (one tiny table each)")
    parser.add_argument("--rows", type=int, default=10, help="rows per source table")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=60, help="throughput window, seconds")
    parser.add_argument("--boundaries", type=int, default=2, help="minute slots to measure")
    parser.add_argument(
        "--workers", type=int, default=None, help="executions at once (default SYNCLINE_WORKERS)"
    )
    parser.add_argument("--executor", choices=("local", "celery"), default="local")
    parser.add_argument("--celery-workers", type=int, default=2, help="`syncline worker`s")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--metadata", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--scheduler-interval", type=float, default=None, help="default: Syncline's default"
    )
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--keep-logs", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    if args.executor == "celery" and args.metadata != "postgresql":
        parser.error("--executor celery needs --metadata postgresql (workers share the store)")

    defaults = Settings.model_fields
    workers = args.workers or int(defaults["workers"].default)
    interval = args.scheduler_interval or float(defaults["scheduler_interval"].default)
    per_worker = max(1, math.ceil(workers / args.celery_workers))
    capacity = workers if args.executor == "local" else per_worker * args.celery_workers
    host = machine()
    tag = uuid.uuid4().hex[:8]
    schema = f"bench_sched_{tag}"
    queue = f"syncline-bench-{tag}"
    data_dir = Path(tempfile.mkdtemp(prefix="syncline-bench-sched-"))
    result: Throughput | None = None
    slots: list[Boundary] | None = None

    with ExitStack() as cleanup:
        if args.keep_logs:
            cleanup.callback(say, f"logs kept in {data_dir}")
        else:
            cleanup.callback(shutil.rmtree, data_dir, True)
        say(f"creating {args.syncs} source/target table pairs in test.{schema}")
        cleanup.callback(drop_schema, schema)
        create_tables(schema, args.syncs, args.rows)
        metadata_url: str | None = None
        if args.metadata == "postgresql":
            database = f"syncline_bench_meta_{tag}"
            cleanup.callback(drop_database, database)
            metadata_url = create_database(database)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCLINE_")}
        env |= {
            "SYNCLINE_DATA_DIR": str(data_dir),
            "SYNCLINE_API_KEY": KEY,
            "SYNCLINE_DEMO": "false",
            "SYNCLINE_CONTINUOUS_INTERVAL": "1",
            "SYNCLINE_WORKERS": str(workers),
            "SYNCLINE_EXECUTOR": args.executor,
        }
        if metadata_url:
            env["SYNCLINE_DATABASE_URL"] = metadata_url
        if args.scheduler_interval:
            env["SYNCLINE_SCHEDULER_INTERVAL"] = str(args.scheduler_interval)
        if args.executor == "celery":
            env |= {"SYNCLINE_BROKER_URL": args.broker_url, "SYNCLINE_CELERY_QUEUE": queue}
            cleanup.callback(forget_queue, args.broker_url, queue)
        processes = Processes(data_dir, env)
        cleanup.callback(processes.stop_all)
        port = free_port()
        server = processes.spawn("serve", "serve", "--port", str(port), "--log-level", "warning")
        client = cleanup.enter_context(
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                timeout=120,
                headers={"Authorization": f"Bearer {KEY}"},
            )
        )
        wait_until_up(client, server, data_dir / "serve.log")
        groups = {"`syncline serve`": [server.pid]}
        for n in range(args.celery_workers if args.executor == "celery" else 0):
            worker = processes.spawn(f"worker-{n}", "worker", "--concurrency", str(per_worker))
            processes.wait_for(f"worker-{n}", " ready.", worker)
            groups.setdefault("`syncline worker`s (all processes)", []).append(worker.pid)
        meta = Metadata(metadata_url, data_dir / "syncline.db")
        cleanup.callback(meta.close)
        syncs = create_syncs(client, schema, args.syncs)
        if not args.skip_throughput:
            result = throughput(
                client,
                meta,
                [sync_id for sync_id, _ in syncs],
                warmup=args.warmup,
                duration=args.duration,
                capacity=capacity,
                interval=interval,
                groups=groups,
            )
        if not args.skip_latency:
            slots = latency(client, meta, syncs, boundaries=args.boundaries, interval=interval)
        say("cleaning up")

    executor = (
        f"local, {workers} threads in `syncline serve`"
        if args.executor == "local"
        else f"celery, {args.celery_workers} `syncline worker` x {per_worker} processes"
        f" ({args.broker_url})"
    )
    settings: dict[str, str] = {
        "syncs (tiny updateOrCreate, PostgreSQL -> PostgreSQL)": str(args.syncs),
        "rows per source table": str(args.rows),
        "executor": executor,
        "metadata store": args.metadata,
        "SYNCLINE_SCHEDULER_INTERVAL": f"{interval:g} s"
        + ("" if args.scheduler_interval else " (default)"),
        "SYNCLINE_CONTINUOUS_INTERVAL (throughput phase)": "1 s",
        "warm-up / window": f"{args.warmup:g} s / {args.duration:g} s",
    }
    report(host, settings, result, slots)


if __name__ == "__main__":
    main()
