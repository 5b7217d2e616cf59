"""Benchmark: server time of the web UI's pages with 1,000 syncs and 100,000 executions.

The product's goal: pages answer in under 150 ms of server time with 1,000 syncs
and 100,000 executions in the store.

1. Seeding, in a fresh store (SQLite under a temporary data directory, or with
   `--metadata postgresql` a fresh database on 127.0.0.1:5432, dropped at the
   end). The first start (migrations, the organization, the admin's key) and
   the objects a sync needs go through Syncline's own API, in-process: four
   connections (two SQLite files of 1,000 customers as sources, two `files`
   directories as targets), four models (a table and three queries) and four
   syncs (one per model, each with another schedule). Those four rows are then
   copied into `--syncs` syncs (new ids and names, a fifth of the copies
   paused, with their
   `sync_models` and `sync_revisions` rows), and `--executions` executions are
   bulk-inserted through SQLAlchemy core (`executemany` in chunks of
   `CHUNK`), spread over the syncs as a deployment's would be: one sync holds
   `--busy-share` of them, the rest a skewed share each (some none: never
   run), spaced evenly over 90 days, mostly `completed` with a few `failed`,
   `canceled` and `interrupted`; about 8% of the syncs' latest run failed and
   3% are running now (heartbeat fresh, run slot taken). Console lines go to a
   few executions (`--console-lines` to the measured one) and the measured
   execution gets a record log written through the store's own
   `RecordLogWriter` (inserts, updates and errors, `--records` in all).
   SQLite is left as Syncline leaves it (no ANALYZE); PostgreSQL is ANALYZEd
   once, as autovacuum would do within a minute of such an insert.
2. The app: `create_app` served by uvicorn in a child process on 127.0.0.1
   (one process, the scheduler off so nothing else runs), wrapped by a timing
   middleware that exists only in the bench: the outermost ASGI layer, around
   every middleware of Syncline's, it times from the moment uvicorn hands it
   the request to the response's start (the headers; these pages render the
   whole body before that) and sends the figure back in a `Server-Timing`
   header. A client (httpx, keep-alive) signs in through `/signin` as a
   browser does and then asks for each page.
3. The floor: a bare FastAPI app in a child of the same kind (uvicorn, same
   timing middleware), answering each page's path with the bytes Syncline
   served for it (the last warm-up answer) and the same security headers.

Per page: `--warmup` requests, then `--requests` measured ones; the pages go
round-robin and each Syncline request is followed by the floor's request for
the same page, so both see the same load. Reported: server time (the
`Server-Timing` figure) p50 / p95 / max, client latency (httpx on 127.0.0.1,
request sent to last byte read) p50 / p95, the floor's p50s, the ratios to the
floor, and the goal ("met" when the server time's p95 is under 150 ms).

    .venv/bin/python bench/ui_pages.py [--metadata sqlite|postgresql] [--syncs 1000]
        [--executions 100000] [--requests 50] [--warmup 5] [--save]

With `--metadata postgresql` it needs PostgreSQL on 127.0.0.1:5432 (trust
auth, user `postgres`). Prints a Markdown report on stdout, progress on stderr; `--save` also writes
it to `bench/results/<date>-ui-pages.md` (`-2`, `-3`... when taken). The
data directory (and the PostgreSQL database) are removed at the end unless
`--keep`. Timings are wall-clock on this machine; nothing here is an assertion.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psycopg
import pyarrow as pa
from fastapi import FastAPI, Request, Response
from harness.common import RESULTS_DIR, commit_of_src, host

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
KEY = "sl_bench_ui_pages_key"
GOAL_MS = 150.0
CHUNK = 2_000
"""Rows per bulk insert."""
HISTORY = timedelta(days=90)
"""How far back the seeded executions go."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def say(message: str) -> None:
    """Progress, on stderr so stdout stays the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the servers (children) ------------------------------------------------------------------


class Collections:
    """The process's full (generation 2) garbage collections: how many, and their ms."""

    count = 0
    ms = 0.0
    _began = 0.0

    @classmethod
    def watch(cls) -> None:
        gc.callbacks.append(cls._seen)

    @classmethod
    def _seen(cls, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            cls._began = time.perf_counter()
        else:
            cls.count += 1
            cls.ms += (time.perf_counter() - cls._began) * 1000


class ServerTiming:
    """ASGI middleware: milliseconds from the request to the response's start, and the
    full garbage collections in between, as `Server-Timing: app;dur=<ms>,
    gc;dur=<ms>;desc=<count>`. The bench wraps each app with it, outermost."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        Collections.watch()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        collections, collected_ms = Collections.count, Collections.ms

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = (time.perf_counter() - start) * 1000
                timing = (
                    f"app;dur={spent:.3f}, gc;dur={Collections.ms - collected_ms:.3f};"
                    f"desc={Collections.count - collections}"
                )
                headers = [*message.get("headers", []), (b"server-timing", timing.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def syncline_app() -> Asgi:
    """Syncline as `syncline serve` builds it (settings from `SYNCLINE_*`), timed."""
    from syncline.api.app import create_app
    from syncline.settings import get_settings

    return ServerTiming(create_app(get_settings()))


def floor_app(pages_file: Path) -> Asgi:
    """A bare FastAPI app answering each recorded path (with its query) with its bytes."""
    from syncline.ui.pages import SECURITY_HEADERS

    recorded: dict[str, str] = json.loads(pages_file.read_text())
    bodies = {path: body.encode() for path, body in recorded.items()}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/{rest:path}")
    def answer(request: Request, rest: str) -> Response:
        query = request.url.query
        body = bodies[request.url.path + (f"?{query}" if query else "")]
        return Response(body, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    return ServerTiming(app)


def serve(kind: str, port_file: Path, pages_file: Path | None) -> None:
    """Child process: serve Syncline or the floor on an ephemeral port of 127.0.0.1
    (written to `port_file` once serving), until SIGTERM, the way `syncline serve`
    does: its socket (`syncline.api.server.listen`) and its server (`serve`)."""
    from syncline.api.server import listen
    from syncline.api.server import serve as serve_app

    listener = listen("127.0.0.1", 0)
    app = syncline_app() if kind == "syncline" else floor_app(pages_file or Path())
    serve_app(
        app,
        listener,
        log_level="warning",
        serving=lambda: port_file.write_text(str(listener.getsockname()[1])),
    )


@dataclass
class Child:
    """A `--serve` child; `url` once it serves."""

    name: str
    log: Path
    env: dict[str, str]
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    def start(self) -> Child:
        port_file = self.log.with_suffix(".port")
        port_file.unlink(missing_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    __file__,
                    "--serve",
                    self.name,
                    "--port-file",
                    str(port_file),
                    *self.args,
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"{self.name} did not start:\n{self.log.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


# -- the store -------------------------------------------------------------------------------


def create_database(name: str) -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Templates:
    """What the API made: the four syncs to copy, the organization and the connections."""

    organization_id: str
    sync_ids: list[str]
    connections: int
    models: int


def call(client: Any, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.request(method, path, json=body)
    if answer.status_code != 200:
        raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text}")
    data: dict[str, Any] = answer.json()["data"]
    return data


MODELS = (
    ("Customers", {"table": "main.customers"}),
    (
        "Enterprise accounts",
        {"query": "SELECT id, email, name, plan, mrr FROM customers WHERE plan = 'enterprise'"},
    ),
    (
        "Paying customers",
        {"query": "SELECT id, email, name, plan, mrr FROM customers WHERE mrr > 0"},
    ),
    ("Signups by country", {"query": "SELECT id, email, country, signed_up_at FROM customers"}),
)
SCHEDULES: tuple[dict[str, Any], ...] = (
    {"frequency": "hourly", "minute": "15"},
    {"frequency": "daily", "hour": "3", "minute": "30"},
    {
        "frequency": "custom",
        "minute": "*/10",
        "hour": "*",
        "day_of_month": "*",
        "month": "*",
        "day_of_week": "*",
    },
    {"frequency": "manual"},
)


def make_templates(settings: Any) -> Templates:
    """The first start, and through the API the connections, models and four syncs."""
    from fastapi.testclient import TestClient

    from syncline.api.app import create_app
    from syncline.services.demo import write_customers

    files = settings.data_dir / "files"
    for folder in ("crm", "warehouse", "exports", "archive"):
        (files / folder).mkdir(parents=True, exist_ok=True)
    write_customers(files / "crm" / "customers.db")
    write_customers(files / "warehouse" / "customers.db")
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {KEY}"}) as client:
        sources = [
            call(
                client,
                "POST",
                "/api/connections",
                {
                    "name": name,
                    "type": "sqlite",
                    "configuration": {"path": str(files / folder / "customers.db")},
                },
            )["id"]
            for name, folder in (("CRM (SQLite)", "crm"), ("Warehouse (SQLite)", "warehouse"))
        ]
        targets = [
            call(
                client,
                "POST",
                "/api/connections",
                {"name": name, "type": "files", "configuration": {"path": str(files / folder)}},
            )["id"]
            for name, folder in (("Exports (files)", "exports"), ("Archive (files)", "archive"))
        ]
        sync_ids = []
        for i, (name, configuration) in enumerate(MODELS):
            model = call(
                client,
                "POST",
                "/api/models",
                {
                    "name": name,
                    "connection_id": sources[i % 2],
                    "configuration": configuration,
                    "identifier": "id",
                },
            )
            fields = [f["name"] for f in model["fields"]]
            body = {
                "name": f"{name} to CSV",
                "mode": "updateOrCreate",
                "active": True,
                "schedule": SCHEDULES[i],
                "target": {
                    "connection_id": targets[i % 2],
                    "create": {"format": "csv"},
                    "new_name": f"model{i}.csv",
                },
                "fields": [
                    {"source": {"model_id": model["id"], "field": f}, "target": f, "new": True}
                    for f in fields
                ],
                "identities": {
                    "mappings": [
                        {
                            "source": {"model_id": model["id"], "field": "id"},
                            "target": "id",
                            "function": "Equality",
                        }
                    ]
                },
            }
            sync_ids.append(call(client, "POST", "/api/syncs", body)["id"])
        organization_id = app.state.bootstrap.organization_id
    return Templates(organization_id, sync_ids, len(sources) + len(targets), len(MODELS))


TEAMS = ("Sales", "Marketing", "Finance", "Support", "Product", "Growth")
OBJECTS = ("accounts", "contacts", "leads", "invoices", "tickets", "events", "orders", "users")
PLACES = ("CSV export", "data lake", "CRM", "billing", "warehouse", "archive")
FAILURES = (
    "target: could not write model0.csv: No space left on device",
    "source: database is locked",
    "the process running it (pid 4242 on worker-2) stopped; its last heartbeat was at 03:12",
    "target: permission denied for directory exports",
)


@dataclass
class Seeded:
    """What was seeded, for the report and the pages."""

    busy_sync: str
    busy_running: str
    execution: str
    """The execution whose page is measured: the busy sync's last completed run."""
    statuses: Counter[str]
    sync_states: Counter[str]
    per_sync: list[int]
    console_lines: int
    records: dict[str, int]
    seconds: float


def seed(
    url: str,
    data_dir: Path,
    templates: Templates,
    *,
    syncs: int,
    executions: int,
    busy_share: float,
    console_lines: int,
    records: int,
) -> Seeded:
    """Copy the template syncs and bulk-insert the executions, console lines and a record log."""
    from sqlalchemy import insert, select, text, update

    from syncline.store.db import Store
    from syncline.store.tables import Execution, ExecutionLog, Sync, SyncModel, SyncRevision

    began = time.perf_counter()
    rng = random.Random(20261207)  # noqa: S311 - sample data
    now = datetime.now(UTC)
    store = Store(url)
    try:
        with store.engine.begin() as conn:
            rows = {row["id"]: dict(row) for row in conn.execute(select(Sync.__table__)).mappings()}
            links = {row.sync_id: row.model_id for row in conn.execute(select(SyncModel.__table__))}
            # The busy sync first: a template, so its row is the API's own.
            ids = list(templates.sync_ids)
            copies, link_rows, revisions = [], [], []
            for n in range(syncs - len(ids)):
                template = rows[ids[n % len(templates.sync_ids)]]
                name = f"{rng.choice(TEAMS)} {rng.choice(OBJECTS)} to {rng.choice(PLACES)} {n:04d}"
                active = n % 5 != 4
                changed = now - timedelta(seconds=rng.uniform(3600, HISTORY.total_seconds()))
                new = {
                    **template,
                    "id": str(uuid.uuid4()),
                    "name": name,
                    "active": active,
                    "config": {**template["config"], "name": name, "active": active},
                    "created_at": changed,
                    "updated_at": changed,
                    "current_execution_id": None,
                }
                copies.append(new)
                link_rows.append({"sync_id": new["id"], "model_id": links[template["id"]]})
                revisions.append({"sync_id": new["id"], "updated_at": changed})
                ids.append(new["id"])
            for chunk in chunks(copies, 500):
                conn.execute(insert(Sync.__table__), chunk)
            for chunk in chunks(link_rows, CHUNK):
                conn.execute(insert(SyncModel.__table__), chunk)
            for chunk in chunks(revisions, CHUNK):
                conn.execute(insert(SyncRevision.__table__), chunk)
        say(f"{syncs:,} syncs in the store")

        busy = ids[0]
        shares = spread(rng, ids[1:], executions - round(executions * busy_share))
        shares[busy] = round(executions * busy_share)
        states: dict[str, str] = {}
        for sync_id in ids:
            if not shares[sync_id]:
                states[sync_id] = "never run"
            elif sync_id == busy:
                states[sync_id] = "running"
            else:
                draw = rng.random()
                states[sync_id] = (
                    "failing" if draw < 0.08 else "running" if draw < 0.11 else "healthy"
                )
        statuses: Counter[str] = Counter()
        running: dict[str, str] = {}
        last_completed: dict[str, str] = {}
        batch: list[dict[str, Any]] = []
        inserted = 0
        with store.engine.begin() as conn:
            for sync_id in ids:
                count = shares[sync_id]
                if not count:
                    continue
                end = now - timedelta(minutes=rng.uniform(1, 120))
                step = HISTORY / count
                for k in range(count):
                    latest = k == count - 1
                    created = end - step * (count - 1 - k) + timedelta(seconds=rng.uniform(0, 30))
                    if latest and states[sync_id] == "running":
                        status = "running"
                        created = now - timedelta(seconds=rng.uniform(5, 60))
                    elif latest and states[sync_id] == "failing":
                        status = "failed"
                    elif latest:
                        status = "completed"
                    else:
                        draw = rng.random()
                        status = (
                            "failed"
                            if draw < 0.03
                            else "canceled"
                            if draw < 0.04
                            else "interrupted"
                            if draw < 0.05
                            else "completed"
                        )
                    row = execution_row(
                        rng, templates.organization_id, sync_id, status, created, now
                    )
                    statuses[status] += 1
                    if status == "running":
                        running[sync_id] = row["id"]
                    elif status == "completed":
                        last_completed[sync_id] = row["id"]
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        conn.execute(insert(Execution.__table__), batch)
                        inserted += len(batch)
                        batch = []
                        if inserted % 20_000 == 0:
                            say(f"{inserted:,} executions inserted")
            if batch:
                conn.execute(insert(Execution.__table__), batch)
            for sync_id, execution_id in running.items():
                conn.execute(
                    update(Sync.__table__)
                    .where(Sync.id == sync_id)
                    .values(current_execution_id=execution_id)
                )
        say(f"{executions:,} executions in the store")

        measured = last_completed[busy]
        console = {measured: console_lines}
        for other in rng.sample(sorted(last_completed.values()), 5):
            console.setdefault(other, 100)
        console[running[busy]] = 40
        lines = []
        for execution_id, count in console.items():
            start = now - timedelta(hours=1)
            for i in range(count):
                lines.append(
                    {
                        "execution_id": execution_id,
                        "timestamp": start + timedelta(milliseconds=250 * i),
                        "level": "warning" if i % 37 == 36 else "info",
                        "message": f"batch {i + 1}: read 5,000 records, 4,980 written, 20 rejected"
                        if i % 37
                        else "sync started",
                        "payload": {"batch": i + 1, "read": 5000, "written": 4980},
                    }
                )
        with store.engine.begin() as conn:
            for chunk in chunks(lines, CHUNK):
                conn.execute(insert(ExecutionLog.__table__), chunk)
            # A running execution's heartbeat, fresh when the server starts (it reaps stale ones).
            conn.execute(
                update(Execution.__table__)
                .where(Execution.status == "running")
                .values(heartbeat_at=datetime.now(UTC))
            )
            if conn.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
        logged = write_record_log(data_dir, measured, records)
        say(f"console lines for {len(console)} executions, {sum(logged.values()):,} logged records")
    finally:
        store.dispose()
    sync_states = Counter(states.values())
    sync_states["paused (any of the above)"] = sum(1 for c in copies if not c["active"])
    return Seeded(
        busy_sync=busy,
        busy_running=running[busy],
        execution=measured,
        statuses=statuses,
        sync_states=sync_states,
        per_sync=sorted(shares.values()),
        console_lines=len(lines),
        records=logged,
        seconds=time.perf_counter() - began,
    )


def chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def spread(rng: random.Random, ids: Sequence[str], total: int) -> dict[str, int]:
    """`total` split over `ids` with skewed (log-normal) weights; about 3% get none."""
    weights = {sync_id: 0.0 if rng.random() < 0.03 else rng.lognormvariate(0, 1) for sync_id in ids}
    whole = sum(weights.values())
    shares = {sync_id: int(total * w / whole) for sync_id, w in weights.items()}
    left = total - sum(shares.values())
    for sync_id in rng.sample([s for s, w in weights.items() if w], left):
        shares[sync_id] += 1
    return shares


def execution_row(
    rng: random.Random,
    organization_id: str,
    sync_id: str,
    status: str,
    created: datetime,
    now: datetime,
) -> dict[str, Any]:
    """One `executions` row with counts and times as a run of that status leaves them."""
    kind = rng.choices(("scheduled", "manual", "retry", "resync"), (85, 10, 3, 2))[0]
    started = created + timedelta(seconds=rng.uniform(0.05, 3))
    total = int(rng.lognormvariate(7, 1.5))
    error = int(total * rng.uniform(0, 0.02)) if rng.random() < 0.2 else 0
    delete = int(total * rng.uniform(0, 0.05))
    update_ = int((total - error - delete) * rng.uniform(0.3, 0.9))
    counts = {
        "total": total,
        "insert": total - error - delete - update_,
        "update": update_,
        "upserts": 0,
        "delete": delete,
        "error": error,
        "warnings": 0,
    }
    completed: datetime | None = started + timedelta(seconds=rng.lognormvariate(3, 1))
    errors: list[str] = []
    if status == "running":
        completed = None
        counts = {k: v // 3 for k, v in counts.items()}
    elif status in ("failed", "interrupted"):
        errors = [rng.choice(FAILURES)]
        counts = {k: v // 2 for k, v in counts.items()}
    elif status == "canceled":
        errors = ["canceled by admin@localhost"]
    return {
        "id": str(uuid.uuid4()),
        "organization_id": organization_id,
        "sync_id": sync_id,
        "status": status,
        "type": kind,
        "options": {"resync": kind == "resync", "test": False, "identities": None},
        "counts": counts,
        "errors": errors,
        "cancel_requested": status == "canceled",
        "created_at": created,
        "started_at": started,
        "completed_at": completed,
        "heartbeat_at": completed or now,
        "owner": None,
    }


def write_record_log(data_dir: Path, execution_id: str, records: int) -> dict[str, int]:
    """The measured execution's record log, through the store's `RecordLogWriter`."""
    from syncline.store.record_logs import RecordLogWriter

    writer = RecordLogWriter(data_dir, execution_id)
    split = {"inserts": records * 80 // 100, "updates": records * 19 // 100}
    split["errors"] = records - sum(split.values())
    number = 0
    for kind, count in split.items():
        for start in range(0, count, 5_000):
            ids = list(range(number + start, number + min(count, start + 5_000)))
            record = pa.StructArray.from_arrays(
                [
                    pa.array(ids, pa.int64()),
                    pa.array([f"customer{i}@example.com" for i in ids]),
                    pa.array([f"Customer {i}" for i in ids]),
                    pa.array([("free", "starter", "pro", "enterprise")[i % 4] for i in ids]),
                    pa.array([round(i * 1.37 % 5000, 2) for i in ids], pa.float64()),
                ],
                names=["id", "email", "name", "plan", "mrr"],
            )
            messages = [
                f'new row for relation "customers" violates check constraint (id {i})'
                if kind == "errors"
                else None
                for i in ids
            ]
            writer.append(
                kind,
                pa.RecordBatch.from_arrays(
                    [pa.array([str(i) for i in ids]), pa.array(messages, pa.string()), record],
                    names=["identity", "message", "record"],
                ),
            )
        number += count
    writer.close()
    return split


# -- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    expect: tuple[str, ...]
    """Texts the page must hold, so a page measured is the page meant."""


@dataclass
class Timings:
    server: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)
    collections: list[float] = field(default_factory=list)
    """The ms of each full garbage collection that ran during a measured request."""
    size: int = 0


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TIMING = re.compile(r"app;dur=([0-9.]+), gc;dur=([0-9.]+);desc=([0-9]+)")


def sign_in(client: httpx.Client) -> None:
    """Through `/signin`, as a browser: the form's CSRF token, the key, the session cookie."""
    form = client.get("/signin")
    token = _CSRF.search(form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"GET /signin: {form.status_code} {form.text[:500]}")
    answer = client.post(
        "/signin", data={"csrf_token": token.group(1), "api_key": KEY, "next": "/"}
    )
    if answer.status_code != 303:
        raise SystemExit(f"POST /signin: {answer.status_code} {answer.text[:500]}")


@dataclass(frozen=True)
class Answer:
    server: float
    """ms, as `Server-Timing` says."""
    client: float
    """ms, as httpx saw it."""
    collections: int
    """Full garbage collections in the server while it answered."""
    collected_ms: float
    response: httpx.Response


def timed_get(client: httpx.Client, page: Page) -> Answer:
    """One request for `page`, timed and checked."""
    began = time.perf_counter()
    answer = client.get(page.path)
    spent = (time.perf_counter() - began) * 1000
    found = _TIMING.search(answer.headers.get("server-timing", ""))
    missing = [text for text in page.expect if text not in answer.text]
    if answer.status_code != 200 or found is None or missing:
        raise SystemExit(
            f"GET {page.path}: {answer.status_code}, missing {missing!r}:\n" + answer.text[:2000]
        )
    server, collected, collections = found.groups()
    return Answer(float(server), spent, int(collections), float(collected), answer)


def pages_of(seeded: Seeded, syncs: int) -> list[Page]:
    records = sum(seeded.records.values())
    last = -(-syncs // 50)  # the overview shows 50 syncs a page
    sync, execution = seeded.busy_sync, seeded.execution
    return [
        Page("overview, page 1", "/", ('id="syncs"',)),
        Page("overview, search", "/?q=finance", ("Finance",)),
        Page("overview, failing", "/?show=failing", ('badge-bad">failing<',)),
        Page(f"overview, last page ({last})", f"/?page={last}", (f"Page {last} of {last}",)),
        Page("sync (its last 50 runs)", f"/syncs/{sync}", ('id="runs"',)),
        Page("sync progress (polled)", f"/syncs/{sync}/progress", ("Cancel run",)),
        Page(
            "execution (records, console)",
            f"/syncs/{sync}/executions/{execution}",
            (f"({records:,} records)", "batch 49:"),
        ),
        Page("connections", "/connections", ("Exports (files)",)),
        Page("models", "/models", ("Enterprise accounts",)),
        Page("settings", "/settings", ("admin@localhost",)),
    ]


def measure(
    syncline: httpx.Client,
    floor_child: Callable[[dict[str, str]], httpx.Client],
    pages: list[Page],
    *,
    warmup: int,
    requests: int,
) -> tuple[dict[str, Timings], dict[str, Timings]]:
    """Warm Syncline up (recording each page's bytes), start the floor with them, then
    measure both round-robin."""
    bodies: dict[str, str] = {}
    for _ in range(warmup):
        for page in pages:
            bodies[page.path] = timed_get(syncline, page).response.text
    floor = floor_child(bodies)
    for _ in range(warmup):
        for page in pages:
            timed_get(floor, page)
    ours = {page.path: Timings() for page in pages}
    theirs = {page.path: Timings() for page in pages}
    for n in range(requests):
        for page in pages:
            for client, into in ((syncline, ours), (floor, theirs)):
                answer = timed_get(client, page)
                timings = into[page.path]
                timings.server.append(answer.server)
                timings.client.append(answer.client)
                if answer.collections:
                    timings.collections.append(answer.collected_ms)
                timings.size = len(answer.response.content)
        if (n + 1) % 10 == 0:
            say(f"round {n + 1}/{requests}")
    return ours, theirs


# -- report ----------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def machine(metadata_url: str | None) -> list[tuple[str, str]]:
    store = f"SQLite {sqlite3.sqlite_version}"
    if metadata_url:
        with psycopg.connect(metadata_url) as conn:
            found = conn.execute("SHOW server_version").fetchone()
        store = f"PostgreSQL {found[0] if found else '?'}"
    return [
        *host(),
        (
            "uvicorn, FastAPI, httpx",
            f"{version('uvicorn')}, {version('fastapi')}, {version('httpx')}",
        ),
        ("metadata store", store),
        ("Syncline commit", commit_of_src()),
    ]


def report(
    args: argparse.Namespace,
    about: list[tuple[str, str]],
    seeded: Seeded,
    pages: list[Page],
    ours: dict[str, Timings],
    theirs: dict[str, Timings],
) -> str:
    shares = seeded.per_sync
    statuses = ", ".join(f"{status} {count:,}" for status, count in seeded.statuses.most_common())
    states = ", ".join(f"{state} {count:,}" for state, count in seeded.sync_states.items())
    out = [
        f"# Web UI pages: server time with {args.syncs:,} syncs and {args.executions:,} executions",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. `{args.command}`",
        "",
        "Syncline (`create_app`, scheduler off) served by uvicorn in a child process on "
        "127.0.0.1, signed in through `/signin` by an httpx client (keep-alive). **Server "
        "time** is measured by a timing middleware that only the bench adds, outermost (around "
        "all of Syncline's middleware): from uvicorn handing it the request to the response's "
        "start, which these pages send once their whole body is rendered; it comes back in a "
        "`Server-Timing` header. **Client** is httpx's latency on 127.0.0.1, request sent to "
        "last byte read. The **floor** is a bare FastAPI app in a child of the same kind "
        "(uvicorn, same middleware) answering each path with the bytes Syncline served for it. "
        f"Per page {args.warmup} warm-up requests, then {args.requests} measured, pages "
        "round-robin, each Syncline request followed by the floor's. The goal is met when the "
        f"server time's p95 is under {GOAL_MS:.0f} ms. Nothing here is asserted.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in about),
        "",
        "| store | |",
        "|---|---|",
        f"| syncs | {args.syncs:,}: {states} |",
        f"| executions | {sum(seeded.statuses.values()):,}: {statuses} |",
        "| executions per sync, median / p95 / max | "
        f"{pct(shares, 50):,.0f} / {pct(shares, 95):,.0f} / {max(shares):,} (the measured sync) |",
        f"| console lines | {seeded.console_lines:,} "
        f"({args.console_lines:,} of the measured execution) |",
        "| record log of the measured execution | "
        + ", ".join(f"{kind} {count:,}" for kind, count in seeded.records.items())
        + " |",
        f"| seeding | {seeded.seconds:.1f} s |",
        "| both servers | `syncline serve`'s socket and server (`syncline.api.server`) |",
        "",
        "## Results",
        "",
        "| page | path | KB | server ms p50 / p95 / max | requests with a full GC (its ms) "
        "| floor server ms p50 | x floor | client ms p50 / p95 | floor client ms p50 | x floor "
        "| goal (server p95 < 150 ms) |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for page in pages:
        mine, floor = ours[page.path], theirs[page.path]
        server50, floor50 = pct(mine.server, 50), pct(floor.server, 50)
        client50, floor_client50 = pct(mine.client, 50), pct(floor.client, 50)
        p95 = pct(mine.server, 95)
        shown = page.path.replace(seeded.busy_sync, "{sync}").replace(seeded.execution, "{run}")
        out.append(
            f"| {page.label} | `{shown}` | {mine.size / 1024:,.1f} "
            f"| {server50:.1f} / {p95:.1f} / {max(mine.server):.1f} "
            f"| {collected(mine.collections)} | {floor50:.2f} "
            f"| {server50 / floor50:,.0f} | {client50:.1f} / {pct(mine.client, 95):.1f} "
            f"| {floor_client50:.2f} | {client50 / floor_client50:,.1f} "
            f"| {'met' if p95 < GOAL_MS else 'missed'} ({p95:.0f} ms) |"
        )
    full = [ms for timings in ours.values() for ms in timings.collections]
    floor_full = sum(len(timings.collections) for timings in theirs.values())
    gaps = [
        statistics.median(
            client - server
            for timings in found.values()
            for client, server in zip(timings.client, timings.server, strict=True)
        )
        for found in (ours, theirs)
    ]
    out += [
        "",
        "## Notes",
        "",
        f"- Client minus server time, median over every request: Syncline {gaps[0]:.1f} ms, "
        f"floor {gaps[1]:.1f} ms (the rest of uvicorn's work, the body on the wire, httpx).",
        f"- Full (generation 2) garbage collections in the Syncline process during the "
        f"{args.requests * len(pages):,} measured requests: {len(full)}"
        + (
            f", {statistics.median(full):.0f} ms each (median; max {max(full):.0f} ms)"
            if full
            else ""
        )
        + f"; in the floor's: {floor_full}. One walks every object the process holds, so it "
        "lands in whichever request allocates the object that triggers it.",
        f"- `{{sync}}` is the sync with the most executions ({max(shares):,}), running now; "
        "`{run}` its last completed run, with the console lines and the record log.",
        "- The sync page reads the sync's newest 50 runs; the overview 50 syncs a page, each "
        "with its newest execution.",
        "- SQLite as Syncline leaves it (no ANALYZE); PostgreSQL ANALYZEd once after seeding.",
        f"- Load average at start {args.load_at_start}, at the end {load_average()}.",
    ]
    return "\n".join(out) + "\n"


def collected(pauses: Sequence[float]) -> str:
    """`0`, or how many requests held a full collection and each one's ms."""
    if not pauses:
        return "0"
    return f"{len(pauses)} ({', '.join(f'{ms:.0f}' for ms in pauses)})"


def save(text: str) -> Path:
    date = subprocess.run(
        ["date", "-u", "+%F"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path = RESULTS_DIR / f"{date}-ui-pages.md"
    n = 2
    while path.exists():
        path = RESULTS_DIR / f"{date}-ui-pages-{n}.md"
        n += 1
    path.write_text(text)
    return path


# -- main ------------------------------------------------------------------------------------


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--metadata", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--syncs", type=int, default=1_000)
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--busy-share", type=float, default=0.05, help="executions of one sync")
    parser.add_argument("--console-lines", type=int, default=500, help="of the measured run")
    parser.add_argument("--records", type=int, default=20_000, help="record log of the run")
    parser.add_argument("--requests", type=int, default=50, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="requests per page first")
    parser.add_argument("--save", action="store_true", help="also write bench/results/")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (and database)")
    parser.add_argument("--serve", choices=("syncline", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pages-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is None:
        if args.syncs < 51 or args.executions < 10 * args.syncs:
            parser.error(
                "--syncs at least 51 (the overview pages 50), --executions at least 10 per sync"
            )
        if not 0 < args.busy_share < 0.5 or min(args.requests, args.warmup) < 1:
            parser.error("--busy-share in (0, 0.5), --requests and --warmup at least 1")
    args.command = shlex.join([".venv/bin/python", "bench/ui_pages.py", *sys.argv[1:]])
    args.load_at_start = load_average()
    return args


def main() -> int:
    args = parse()
    if args.serve:
        serve(args.serve, args.port_file, args.pages_file)
        return 0
    for name in [k for k in os.environ if k.startswith("SYNCLINE_")]:
        del os.environ[name]  # inherited settings would change what is measured
    from syncline.settings import Settings

    tag = uuid.uuid4().hex[:8]
    with ExitStack() as cleanup:
        data_dir = Path(tempfile.mkdtemp(prefix="syncline-bench-ui-"))
        if args.keep:
            cleanup.callback(say, f"kept {data_dir}")
        else:
            cleanup.callback(shutil.rmtree, data_dir, True)
        metadata_url = None
        if args.metadata == "postgresql":
            database = f"syncline_bench_ui_{tag}"
            if not args.keep:
                cleanup.callback(drop_database, database)
            metadata_url = create_database(database)
        env = {
            "SYNCLINE_DATA_DIR": str(data_dir),
            "SYNCLINE_API_KEY": KEY,
            "SYNCLINE_DEMO": "false",
            "SYNCLINE_SCHEDULER": "false",
            **({"SYNCLINE_DATABASE_URL": metadata_url} if metadata_url else {}),
        }
        settings = Settings(
            data_dir=data_dir, api_key=KEY, demo=False, scheduler=False, database_url=metadata_url
        )
        say(f"first start, connections, models and template syncs ({args.metadata})")
        templates = make_templates(settings)
        seeded = seed(
            settings.resolved_database_url(),
            data_dir,
            templates,
            syncs=args.syncs,
            executions=args.executions,
            busy_share=args.busy_share,
            console_lines=args.console_lines,
            records=args.records,
        )
        say(f"seeded in {seeded.seconds:.1f} s; starting the server")
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCLINE_")} | env
        server = Child("syncline", data_dir / "syncline.log", child_env)
        cleanup.callback(server.stop)
        server.start()
        client = cleanup.enter_context(httpx.Client(base_url=server.url, timeout=60))
        sign_in(client)

        def floor_child(bodies: dict[str, str]) -> httpx.Client:
            pages_file = data_dir / "pages.json"
            pages_file.write_text(json.dumps(bodies))
            floor = Child(
                "floor",
                data_dir / "floor.log",
                child_env,
                ["--pages-file", str(pages_file)],
            )
            cleanup.callback(floor.stop)
            floor.start()
            return cleanup.enter_context(httpx.Client(base_url=floor.url, timeout=60))

        pages = pages_of(seeded, args.syncs)
        say(
            f"measuring {len(pages)} pages: {args.warmup} warm-up and {args.requests} requests each"
        )
        ours, theirs = measure(
            client, floor_child, pages, warmup=args.warmup, requests=args.requests
        )
        about = machine(metadata_url)
        text = report(args, about, seeded, pages, ours, theirs)
    print(text, end="")
    if args.save:
        say(f"saved {save(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
