"""Benchmark: how long a cancel takes to take effect, against the 2 s target.

Runs Syncline in-process (the app and its local executor, SQLite metadata in a
temporary data directory) over PostgreSQL, and times, from the cancel request
(`POST /api/syncs/{id}/cancel`) to the execution's status `canceled`:

1. baseline: a healthy append of `--rows` rows, canceled mid-run (the cancel is
   seen between batches: the floor every other figure is compared with);
2. frozen target: the target reached through a `FaultProxy` frozen in the
   middle of a batch's COPY (a SIGSTOPped server: sockets open, no answer);
3. isolation, 1% bad: a target whose trigger refuses 1% of the rows,
   scattered, canceled once isolating. A trigger, because its verdict is
   only known record by record (CHECK constraints and unique keys are
   decided set-wise, too fast to cancel in the middle of);
4. isolation, every row bad: a target whose trigger refuses every row;
5. a webhook whose endpoint takes each request and never answers (its read
   timeout is 10 minutes): the cancel stops the requests in flight.

Each case runs `--repeat` times; the report gives the median and the worst,
and each worst as a ratio to the target and to the baseline. Timings are
wall-clock on this machine; nothing here is an assertion.

    .venv/bin/python bench/cancel.py [--rows 50000] [--repeat 3]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user `postgres`). It works in a
database of its own, created for the run; that database and the temporary data
directory are removed at the end. Prints a Markdown report on stdout, progress
on stderr.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults import FaultProxy
from tests.receivers import Receiver

from syncline.api.app import create_app
from syncline.settings import Settings

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
DATABASE = f"bench_cancel_{uuid.uuid4().hex[:8]}"
"""A database of the benchmark's own, so its statistics count only its runs."""
DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={DATABASE}"
PG_CONFIG = {
    "hostname": PG_HOST,
    "port": PG_PORT,
    "database": DATABASE,
    "username": PG_USER,
    "password": "",
    "ssl": False,
}
KEY = "sl_bench_cancel_key"
TARGET_SECONDS = 2.0
BATCH = 5_000
TERMINAL = {"completed", "canceled", "failed", "interrupted"}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sql(statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(DSN, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


class Api:
    """The app in-process, reached with the first admin's key."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(path, json=body or {})
        if response.status_code != 200:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
        data: dict[str, Any] = response.json()["data"]
        return data

    def execution(self, sync_id: str, execution_id: str) -> dict[str, Any]:
        path = f"/api/syncs/{sync_id}/executions/{execution_id}"
        data: dict[str, Any] = self.client.get(path).json()["data"]
        return data

    def sync(
        self,
        source_table: str,
        target_connection: str,
        target_table: str,
        mode: str = "append",
        identity: dict[str, Any] | None = None,
    ) -> str:
        source = self.post(
            "/api/connections",
            {
                "name": f"src-{uuid.uuid4().hex[:6]}",
                "type": "postgresql",
                "configuration": PG_CONFIG,
            },
        )
        model = self.post(
            "/api/models",
            {"name": "m", "connection_id": source["id"], "configuration": {"table": source_table}},
        )
        fields = [
            {"source": {"model_id": model["id"], "field": f}, "target": f}
            for f in ("id", "email", "note")
        ]
        sync = self.post(
            "/api/syncs",
            {
                "name": f"cancel {uuid.uuid4().hex[:6]}",
                "mode": mode,
                "active": True,
                "schedule": {"frequency": "manual"},
                "target": {"connection_id": target_connection, "object": target_table},
                "fields": fields,
                **({"identity": identity} if identity else {}),
            },
        )
        sync_id: str = sync["id"]
        return sync_id

    def connection(self, configuration: dict[str, Any], kind: str = "postgresql") -> str:
        created = self.post(
            "/api/connections",
            {
                "name": f"dst-{uuid.uuid4().hex[:6]}",
                "type": kind,
                "configuration": configuration,
            },
        )
        connection_id: str = created["id"]
        return connection_id

    def cancel_after(self, sync_id: str, ready: Callable[[str], bool]) -> float | None:
        """Start the sync, wait until `ready(execution_id)`, cancel; seconds from the
        cancel request to `canceled` (None when the run ended before the cancel)."""
        execution_id = self.post(f"/api/syncs/{sync_id}/executions")["id"]
        deadline = time.monotonic() + 300
        while not ready(execution_id):
            if self.execution(sync_id, execution_id)["status"] in TERMINAL:
                return None
            if time.monotonic() > deadline:
                raise RuntimeError("the run never reached the point to cancel at")
            time.sleep(0.02)
        asked = time.monotonic()
        self.post(f"/api/syncs/{sync_id}/cancel")
        while True:
            status = self.execution(sync_id, execution_id)["status"]
            if status in TERMINAL:
                took = time.monotonic() - asked
                if status != "canceled":
                    say(f"  the run ended {status}, not canceled")
                    return None
                return took
            if time.monotonic() - asked > 300:
                raise RuntimeError("the cancel took more than 300 s")
            time.sleep(0.01)


@contextmanager
def schema(rows: int, refuse: str | None) -> Iterator[str]:
    """A scratch schema: `people` (`rows` rows) and an empty target `t`, whose
    trigger refuses the rows `refuse` (over `NEW`) holds for, counting each
    refusal in the sequence `refusals` (which no rollback undoes)."""
    name = f"bench_cancel_{uuid.uuid4().hex[:8]}"
    sql(f'CREATE SCHEMA "{name}"')
    try:
        sql(f'CREATE TABLE "{name}".people (id bigint PRIMARY KEY, email text, note text)')
        sql(
            f"INSERT INTO \"{name}\".people SELECT i, 'p' || i || '@example.com', repeat('n', 40)"
            f" FROM generate_series(1, {rows}) i"
        )
        sql(f'CREATE TABLE "{name}".t (id bigint, email text, note text)')
        if refuse:
            sql(f'CREATE SEQUENCE "{name}".refusals')
            sql(
                f'CREATE FUNCTION "{name}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$'
                f" BEGIN IF {refuse} THEN PERFORM nextval('\"{name}\".refusals');"
                " RAISE EXCEPTION 'record % refused', NEW.id; END IF; RETURN NEW; END $$"
            )
            sql(
                f'CREATE TRIGGER refuse BEFORE INSERT ON "{name}".t'
                f' FOR EACH ROW EXECUTE FUNCTION "{name}".refuse()'
            )
        yield name
    finally:
        sql(f'DROP SCHEMA "{name}" CASCADE')


def target_rows(name: str) -> int:
    return int(sql(f'SELECT count(*) FROM "{name}".t')[0][0])


def running(api: Api, sync_id: str) -> Callable[[str], bool]:
    return lambda execution_id: api.execution(sync_id, execution_id)["status"] == "running"


def after_first_batch(api: Api, sync_id: str, name: str) -> Callable[[str], bool]:
    """Ready once the run committed its first batch (it is then writing the next)."""
    return lambda execution_id: target_rows(name) >= BATCH


def isolating(name: str) -> Callable[[str], bool]:
    """Ready once the run isolates a batch: the trigger refused records several times."""
    return lambda execution_id: refusals(name) >= ISOLATING_REFUSALS


ISOLATING_REFUSALS = 20


def refusals(name: str) -> int:
    row = sql(f'SELECT last_value, is_called FROM "{name}".refusals')[0]
    return int(row[0]) if row[1] else 0


def case_baseline(api: Api, rows: int) -> float | None:
    with schema(rows, None) as name:
        sync_id = api.sync(f"{name}.people", api.connection(PG_CONFIG), f"{name}.t")
        return api.cancel_after(sync_id, after_first_batch(api, sync_id, name))


def case_frozen(api: Api, rows: int) -> float | None:
    with schema(rows, None) as name, FaultProxy(PG_HOST, PG_PORT) as proxy:
        proxied = {**PG_CONFIG, "hostname": proxy.host, "port": proxy.port}
        sync_id = api.sync(f"{name}.people", api.connection(proxied), f"{name}.t")
        proxy.arm("freeze", pattern=b"COPY ", nth=3, after_bytes=20_000)
        took = api.cancel_after(sync_id, lambda _: proxy.fired.is_set())
        proxy.disarm()
        return took


def case_isolation(api: Api, rows: int, refuse: str) -> float | None:
    with schema(rows, refuse) as name:
        sync_id = api.sync(f"{name}.people", api.connection(PG_CONFIG), f"{name}.t")
        return api.cancel_after(sync_id, isolating(name))


def case_hung_webhook(api: Api, rows: int) -> float | None:
    """A webhook whose endpoint takes every request and never answers (read timeout 10 min)."""
    with schema(rows, None) as name, Receiver() as receiver:
        hook = api.connection(
            {"url": receiver.url_for("/hook"), "read_timeout": 600}, kind="webhook"
        )
        sync_id = api.sync(f"{name}.people", hook, "http", mode="updateOrCreate")
        receiver.hold()  # after the connection's check, which reaches the URL too
        try:
            return api.cancel_after(sync_id, lambda _: receiver.in_flight > 0)
        finally:
            receiver.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        results = measure(args)
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    report(results, args)


def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    """Every case, `args.repeat` times: the seconds each cancel took."""
    with tempfile.TemporaryDirectory(prefix="syncline-bench-cancel-") as data:
        settings = Settings(
            data_dir=Path(data),
            api_key=KEY,
            scheduler=False,
            demo=False,
            batch_size=BATCH,
            local_roots=[],
        )
        app = create_app(settings)
        with TestClient(app, headers={"Authorization": f"Bearer {KEY}"}) as client:
            api = Api(client)
            cases: list[tuple[str, Callable[[], float | None]]] = [
                (
                    "baseline: healthy run, canceled between batches",
                    lambda: case_baseline(api, args.rows),
                ),
                ("frozen target (SIGSTOP-like, mid-COPY)", lambda: case_frozen(api, args.rows)),
                (
                    "isolation, 1% bad rows scattered",
                    lambda: case_isolation(api, args.rows, "NEW.id % 97 = 0"),
                ),
                ("isolation, every row bad", lambda: case_isolation(api, args.rows, "true")),
                ("webhook endpoint that never answers", lambda: case_hung_webhook(api, args.rows)),
            ]
            results: dict[str, list[float]] = {}
            for title, run in cases:
                results[title] = []
                for attempt in range(args.repeat):
                    took = run()
                    say(f"{title} #{attempt + 1}: {took if took is None else f'{took:.2f} s'}")
                    if took is not None:
                        results[title].append(took)
    return results


def report(results: dict[str, list[float]], args: argparse.Namespace) -> None:
    floor = results[next(iter(results))]
    base = max(floor) if floor else None
    print(f"# Cancel latency ({args.rows} rows, batches of {BATCH}, {args.repeat} runs each)\n")
    print("| case | median | worst | worst / 2 s target | worst / baseline worst |")
    print("|---|---|---|---|---|")
    for title, times in results.items():
        if not times:
            print(f"| {title} | - | - | - | - |")
            continue
        worst = max(times)
        ratio = f"{worst / base:.1f}x" if base else "-"
        print(
            f"| {title} | {statistics.median(times):.2f} s | {worst:.2f} s"
            f" | {worst / TARGET_SECONDS:.2f} | {ratio} |"
        )
    print(f"\nTarget: a cancel takes effect within {TARGET_SECONDS:g} s.")


if __name__ == "__main__":
    main()
