"""The children of `bench/http_delivery.py`, each one case in a process of its own.

    python bench/harness/http_runs.py syncline --kind webhook --database D --table T
        --receiver URL --concurrency 8 --result PATH [--profile | --timers]
    python bench/harness/http_runs.py floor --kind webhook ... (same arguments)

`syncline`: the app and its local executor in this process (SQLite metadata
in a temporary data directory), driven through the API with `TestClient`:
a PostgreSQL connection and a table model over `T`, the case's destination
connection, an `updateOrCreate` sync of every field (identity `id`), one
execution started and polled until it ends. The seconds are those from the
start request to the end seen. With `--profile`, the engine's batch
writes and its prefetch thread are profiled with cProfile (`Profiles`);
with `--timers`, the steps of a delivery are timed without a profiler
(`Timers`).

`floor`: what a minimal httpx script takes to send the same bytes. It reads
the same rows from PostgreSQL and builds every request body as the case
does (for the webhook the gzipped `sync.records` JSON; for the http type a
JSON array, or one record's JSON) with headers of the same names and sizes;
then, timed, an `httpx.AsyncClient` with `concurrency` connections sends
them from `concurrency` coroutines.

Each writes a JSON result to `--result`; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gzip
import hashlib
import json
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg

from harness.http_cases import FIELDS, PG_HOST, PG_PORT, PG_USER, Kind, dsn, kinds
from syncline.connectors.webhook.payload import GZIP_LEVEL

KEY = "sl_bench_http_key"
TERMINAL = ("completed", "failed", "canceled", "interrupted")
PROFILE_TOP = 15


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """This process's resident set size now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ------------------------------------------------------------------ Syncline


class Profiles:
    """cProfile of the engine's batch writes and of its prefetch threads (bench-only patches).

    cProfile loses the frames that enclose a connect made by httpx (through
    anyio): their call and return events stop matching, so `run_execution`,
    `DeliveryWriter.write` and `Sender.send` vanish from its tables. The
    sender connects in its first batch, so the run's thread is profiled from
    the second batch on, around each `_Run._write` (the writer's `write`
    and the engine's journal of the batch); the prefetch thread (reading
    and mapping) throughout.
    """

    def __init__(self) -> None:
        self.writes: list[cProfile.Profile] = []
        self.written = 0
        self.profiled_seconds = 0.0
        self.all_seconds = 0.0
        self.prefetch: list[cProfile.Profile] = []

    def install(self) -> None:
        import syncline.engine.prefetch as prefetch
        import syncline.engine.run as engine

        write = engine._Run._write
        produce = prefetch.Prefetch._run
        profiles = self

        def profiled_write(self: Any, *args: Any, **kwargs: Any) -> Any:
            profiles.written += 1
            profiled = profiles.written > 1
            start = time.perf_counter()
            profile = cProfile.Profile()
            if profiled:
                profile.enable()
            try:
                return write(self, *args, **kwargs)
            finally:
                if profiled:
                    profile.disable()
                    profiles.writes.append(profile)
                    profiles.profiled_seconds += time.perf_counter() - start
                profiles.all_seconds += time.perf_counter() - start

        def profiled_produce(self: Any) -> None:
            profile = cProfile.Profile()
            profile.enable()
            try:
                produce(self)
            finally:
                profile.disable()
                profiles.prefetch.append(profile)

        engine._Run._write = profiled_write  # type: ignore[method-assign]
        prefetch.Prefetch._run = profiled_produce  # type: ignore[method-assign]

    def tables(self) -> dict[str, Any]:
        """The top functions by cumulative and own time; rows of (calls, own s,
        cumulative s, function)."""
        if not self.written:
            return {}
        out: dict[str, Any] = {
            "batches": self.written,
            "write_seconds": self.all_seconds,
            "profiled_seconds": self.profiled_seconds,
            "tables": {},
        }
        if self.written > 1:
            out["tables"][f"batch writes 2 to {self.written}, by cumulative time"] = _top(
                self.writes, "cumulative"
            )
            out["tables"][f"batch writes 2 to {self.written}, by own time"] = _top(
                self.writes, "tottime"
            )
        if self.prefetch:
            out["tables"]["prefetch thread (reading and mapping), by cumulative time"] = _top(
                self.prefetch, "cumulative"
            )
        return out


TIMED = (
    ("syncline.engine.run", "_Run._write", "engine batch writes (`_Run._write`)", 0),
    (
        "syncline.connectors.delivery.writer",
        "DeliveryWriter.write",
        "the writer's `write`",
        1,
    ),
    (
        "syncline.connectors.delivery.writer",
        "json_rows",
        "Arrow batch to JSON-ready dicts (`json_rows`)",
        2,
    ),
    (
        "syncline.connectors.delivery.memory",
        "RecordMemory.known",
        "what the sync remembers of the records (`RecordMemory.known`)",
        2,
    ),
    (
        "syncline.connectors.webhook.writer",
        "WebhookWriter.requests",
        "request bodies: JSON and gzip (`WebhookWriter.requests`)",
        2,
    ),
    (
        "syncline.connectors.http.writer",
        "HttpWriter.requests",
        "request bodies from the templates (`HttpWriter.requests`)",
        2,
    ),
    (
        "syncline.connectors.delivery.writer",
        "key_parts",
        "idempotency key parts, a batch at a time (`key_parts`)",
        2,
    ),
    (
        "syncline.connectors.delivery.sender",
        "Sender.send",
        "sending: requests, answers, confirmations (`Sender.send`)",
        2,
    ),
    (
        "syncline.connectors.webhook.writer",
        "WebhookWriter.prepare",
        "signature headers per attempt (`WebhookWriter.prepare`)",
        3,
    ),
    (
        "syncline.connectors.delivery.writer",
        "DeliveryWriter.outcomes",
        "outcomes of the answers (`DeliveryWriter.outcomes`)",
        3,
    ),
    (
        "syncline.connectors.delivery.memory",
        "RecordMemory.commit",
        "confirmed records committed to the sync's memory, on the sender's worker thread "
        "(`RecordMemory.commit`)",
        3,
    ),
    (
        "syncline.engine.prefetch",
        "Prefetch._run",
        "prefetch thread: reading and mapping the next batch, waits included",
        0,
    ),
    (
        "syncline.engine.prefetch",
        "Prefetch._put",
        "waiting for the writer to take a batch (`Prefetch._put`)",
        1,
    ),
)
"""What `Timers` times: (module, attribute, label, depth in the report)."""


class Timers:
    """Wall seconds and calls of the functions in `TIMED` (bench-only patches, no profiler).

    The report shows them nested by depth; the `commit` under `send` runs on the
    sender's worker thread (alongside the sending), and also counts the commit at the
    end of each `write`.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def install(self) -> None:
        import importlib

        for module_name, attribute, label, _ in TIMED:
            module = importlib.import_module(module_name)
            owner: Any = module
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, name, self._timed(getattr(owner, name), label))

    def _timed(self, function: Any, label: str) -> Any:
        timers = self
        timers.seconds[label] = 0.0
        timers.calls[label] = 0

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timers.seconds[label] += time.perf_counter() - start
                timers.calls[label] += 1

        return timed

    def rows(self) -> list[list[Any]]:
        """(depth, label, calls, seconds) of every function that was called."""
        return [
            [depth, label, self.calls[label], self.seconds[label]]
            for _, _, label, depth in TIMED
            if self.calls.get(label)
        ]


def _top(profiles: list[cProfile.Profile], order: str) -> list[list[str]]:
    stats = pstats.Stats(profiles[0])
    for more in profiles[1:]:
        stats.add(more)
    stats.sort_stats(order)
    rows = []
    for function in stats.fcn_list[:PROFILE_TOP]:  # type: ignore[attr-defined]
        primitive, calls, own, cumulative, _ = stats.stats[function]  # type: ignore[attr-defined]
        shown_calls = f"{calls}" if calls == primitive else f"{calls}/{primitive}"
        rows.append([shown_calls, f"{own:.2f}", f"{cumulative:.2f}", _where(function)])
    return rows


def _where(function: tuple[str, int, str]) -> str:
    path, line, name = function
    if path == "~":
        return name
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})"


class Api:
    """The app in-process, reached with the first admin's key."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()["data"]


def run_syncline(args: argparse.Namespace, kind: Kind) -> dict[str, Any]:
    """One execution of the case's sync (see the module docstring)."""
    from fastapi.testclient import TestClient

    from syncline.api.app import create_app
    from syncline.settings import Settings

    profiles = Profiles()
    if args.profile:
        profiles.install()
    timers = Timers()
    if args.timers:
        timers.install()
    with tempfile.TemporaryDirectory(prefix="syncline-bench-http-") as data:
        settings = Settings(
            data_dir=Path(data), api_key=KEY, scheduler=False, demo=False, local_roots=[]
        )
        app = create_app(settings)
        with TestClient(app, headers={"Authorization": f"Bearer {KEY}"}) as client:
            api = Api(client)
            source = api.call(
                "POST",
                "/api/connections",
                {
                    "name": "bench source",
                    "type": "postgresql",
                    "configuration": {
                        "hostname": PG_HOST,
                        "port": PG_PORT,
                        "database": args.database,
                        "username": PG_USER,
                        "password": "",
                        "ssl": False,
                    },
                },
            )
            model = api.call(
                "POST",
                "/api/models",
                {
                    "name": "people",
                    "connection_id": source["id"],
                    "configuration": {"table": f"public.{args.table}"},
                    "identifier": "id",
                },
            )
            target = api.call(
                "POST",
                "/api/connections",
                {
                    "name": f"bench {kind.key}",
                    "type": kind.connection_type,
                    "configuration": kind.connection_configuration(args.receiver, args.concurrency),
                },
            )

            def field(name: str) -> dict[str, str]:
                return {"model_id": model["id"], "field": name}

            sync = api.call(
                "POST",
                "/api/syncs",
                {
                    "name": f"bench {kind.key}",
                    "mode": "updateOrCreate",
                    "active": True,
                    "schedule": {"frequency": "manual"},
                    "target": {
                        "connection_id": target["id"],
                        "object": "http",
                        "configuration": kind.target_configuration,
                    },
                    "fields": [{"source": field(name), "target": name} for name in FIELDS],
                    "identities": {
                        "mappings": [
                            {"source": field("id"), "target": "id", "function": "Equality"}
                        ]
                    },
                },
            )
            before = rss_mb()
            say(f"{kind.key}: sync created, RSS {before:.0f} MB; running")
            start = time.perf_counter()
            execution_id = api.call("POST", f"/api/syncs/{sync['id']}/executions", {})["id"]
            pause = 0.01
            while True:
                execution = api.call("GET", f"/api/syncs/{sync['id']}/executions/{execution_id}")
                if execution["status"] in TERMINAL:
                    break
                if time.perf_counter() - start > args.timeout:
                    raise RuntimeError(f"the run is still {execution['status']}")
                time.sleep(pause)
                pause = min(pause * 1.5, 0.25)
            seconds = time.perf_counter() - start
            say(f"{kind.key}: {execution['status']} in {seconds:.1f} s: {execution['counts']}")
    return {
        "seconds": seconds,
        "status": execution["status"],
        "counts": execution["counts"],
        "errors": execution["errors"][:3],
        "rss_before_mb": before,
        "profile": profiles.tables(),
        "timers": timers.rows(),
    }


# ------------------------------------------------------------------ floor


def _rows(database: str, table: str) -> Iterator[dict[str, Any]]:
    """The table's rows as the JSON values Syncline sends (decimals as numbers, instants
    in ISO 8601 UTC with `Z`), in `id` order."""
    with psycopg.connect(dsn(database)) as conn, conn.cursor(name="floor") as cursor:
        cursor.itersize = 10_000
        cursor.execute(f'SELECT {", ".join(FIELDS)} FROM "{table}" ORDER BY id')
        for row in cursor:
            record = dict(zip(FIELDS, row, strict=True))
            mrr: Decimal = record["mrr"]
            record["mrr"] = int(mrr) if mrr == mrr.to_integral_value() else float(mrr)
            at: datetime = record["updated_at"]
            record["updated_at"] = at.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
            yield record


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _key() -> str:
    return "syncline-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def build_requests(
    args: argparse.Namespace, kind: Kind
) -> tuple[list[bytes], list[dict[str, str]], int]:
    """Every request body of the case and its headers, and the records they carry."""
    agent = f"Syncline/{version('syncline')}"
    bodies: list[bytes] = []
    headers: list[dict[str, str]] = []
    records = 0
    sync_id = str(uuid.uuid4())
    secret = "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
    for chunk in _chunks(_rows(args.database, args.table), kind.batch_size):
        records += len(chunk)
        key = _key()
        if kind.connection_type == "webhook":
            document = {
                "event": "sync.records",
                "object": {
                    "id": sync_id,
                    "name": f"bench {kind.key}",
                    "records": [
                        {
                            "hash": hashlib.blake2b(
                                repr(record).encode(), digest_size=8
                            ).hexdigest(),
                            "fields": record,
                        }
                        for record in chunk
                    ],
                },
            }
            bodies.append(gzip.compress(_compact(document), compresslevel=GZIP_LEVEL, mtime=0))
            signature = base64.b64encode(hashlib.sha256(key.encode()).digest()).decode()
            headers.append(
                {
                    "User-Agent": agent,
                    "Authorization": f"Bearer {secret}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "Accept-Encoding": "gzip",
                    "Idempotency-Key": key,
                    "webhook-id": key,
                    "webhook-timestamp": str(int(time.time())),
                    "webhook-signature": f"v1,{signature}",
                    "Polytomic-Signature-Timestamp": datetime.now(UTC).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                }
            )
            continue
        if kind.batch_size == 1:
            bodies.append(_compact(chunk[0]))
        else:
            bodies.append(b"[" + b",".join(_compact(record) for record in chunk) + b"]")
        headers.append(
            {"User-Agent": agent, "Content-Type": "application/json", "Idempotency-Key": key}
        )
    return bodies, headers, records


async def send(url: str, bodies: list[bytes], headers: list[dict[str, str]], width: int) -> float:
    """Seconds to POST every body from `width` coroutines over `width` connections."""
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        pending = iter(zip(bodies, headers, strict=True))

        async def worker() -> None:
            for body, header in pending:
                response = await client.post(url, content=body, headers=header)
                if response.status_code != 200:
                    raise RuntimeError(f"the receiver answered {response.status_code}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(width)))
        return time.perf_counter() - start


def run_floor(args: argparse.Namespace, kind: Kind) -> dict[str, Any]:
    """The floor of the case (see the module docstring)."""
    say(f"floor {kind.key}: building the requests")
    bodies, headers, records = build_requests(args, kind)
    say(f"floor {kind.key}: {len(bodies):,} requests built, RSS {rss_mb():.0f} MB; sending")
    before = rss_mb()
    url = args.receiver + kind.path
    seconds = asyncio.run(send(url, bodies, headers, args.concurrency))
    say(f"floor {kind.key}: sent in {seconds:.1f} s")
    return {
        "seconds": seconds,
        "status": "completed",
        "counts": {"total": records},
        "errors": [],
        "rss_before_mb": before,
        "profile": {},
        "timers": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("what", choices=("syncline", "floor"))
    parser.add_argument("--kind", required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--receiver", required=True, help="http://127.0.0.1:<port>")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--timers", action="store_true")
    args = parser.parse_args()
    kind = kinds(args.batch)[args.kind]
    result = run_syncline(args, kind) if args.what == "syncline" else run_floor(args, kind)
    args.result.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
