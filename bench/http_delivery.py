"""Benchmark: records from PostgreSQL to a local HTTP receiver, against an httpx floor.

Measures how fast Syncline delivers a PostgreSQL table over HTTP, and how
that compares with the least any Python sender needs to put the same bytes
on the wire. The source is a table of `--rows` rows (default 1,000,000) of
a CRM shape (`id bigint, email, name, plan text, mrr numeric(10,2),
updated_at timestamptz`), made with generate_series. The receiver is a
process of its own (`harness/counting_receiver.py`: raw asyncio, keep-alive)
that answers `200 {}` and only counts requests, bytes, records and requests
in flight.

Cases, each a first `updateOrCreate` run (every record an insert) of a sync
of every field, Syncline in-process in a child of its own (the app and its
local executor, driven through the API with `TestClient`, as
`bench/cancel.py` does), with connection concurrency `--concurrency` (8):

1. `webhook`, target configuration `batch_size` `--batch` (100);
2. `http`, the insert event batched as JSON arrays of `--batch` records;
3. `http`, one record per request, over the first `--single-rows` rows
   (100,000 by default: a request per record is slow by nature).

Floors, each in a child of its own right before its case: a minimal
`httpx.AsyncClient` script sending the same requests (the bodies the case
builds, from the same rows, with headers of the same names and sizes) with
the same concurrency. Building the bodies is not timed, only sending.

Reported per case: wall seconds (Syncline: from the start request to the
end seen; floor: the sending), records/s, the child's peak RSS (wait4),
the ratio to its floor (the issue's goal for batched delivery: at most
1.5x), and what the receiver saw. For one record per request, the
receiver's peak and mean requests in flight; and a probe: a run of
`--probe-rows` records against a receiver answering each request
`--probe-latency-ms` late, where `--concurrency` requests in flight make
`concurrency / latency` records/s and serial round trips `1 / latency`.
With `--profile`, where the time of a webhook run of `--profile-rows` rows
goes: one run with the steps of a delivery timed (no profiler), and one
under cProfile (the engine's batch writes and its prefetch thread), top 15
functions.

    .venv/bin/python bench/http_delivery.py [--rows 1000000] [--single-rows 100000]
        [--batch 100] [--concurrency 8] [--repeat 1] [--cases webhook,http_array,http_single]
        [--profile] [--profile-rows 100000] [--probe-rows 800] [--probe-latency-ms 100]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user `postgres`). It works
in a database of its own, created for the run and dropped at the end.
Prints a Markdown report on stdout, progress on stderr; children's output
goes to `bench/.work/http_delivery/`. Timings are wall-clock on this
machine; nothing here is an assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psycopg
from harness.common import (
    REPO_DIR,
    WORK_DIR,
    BenchError,
    commit_of_src,
    host,
    run_child,
    tail,
)
from harness.http_cases import ADMIN_DSN, Kind, create_table_sql, dsn, kinds

HARNESS = Path(__file__).resolve().parent / "harness"
GOAL = 1.5
"""The issue's goal: batched delivery within this ratio of its floor."""


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ------------------------------------------------------------------ receiver


class Receiver:
    """A `counting_receiver.py` process on an ephemeral port; `stats()` reads its counts."""

    def __init__(self, folder: Path, latency_ms: float = 0.0) -> None:
        self.folder = folder
        self.latency_ms = latency_ms
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> Receiver:
        port_file = self.folder / f"receiver-{uuid.uuid4().hex[:8]}.port"
        log = (self.folder / "receiver.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(HARNESS / "counting_receiver.py"),
                "--port-file",
                str(port_file),
                "--latency-ms",
                str(self.latency_ms),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(
                    f"the receiver did not start:\n{tail(self.folder / 'receiver.log')}"
                )
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"
        port_file.unlink()
        return self

    def stats(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(self.url + "/_stats", timeout=30).json()
        return found

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------ runs


@dataclass
class Run:
    """One child: its wall time as it measured it, its peak RSS, and what the receiver saw."""

    seconds: float
    records: int
    peak_rss_mb: float
    rss_before_mb: float
    receiver: dict[str, Any]
    counts: dict[str, Any]
    profile: dict[str, Any] = field(default_factory=dict)
    timers: list[list[Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class Case:
    """Every repeat of one case and of its floor."""

    kind: Kind
    rows: int
    runs: list[Run] = field(default_factory=list)
    floors: list[Run] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Bench:
    """The benchmark's database, its tables, and the children it starts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.database = f"bench_http_{uuid.uuid4().hex[:8]}"
        self.work = WORK_DIR / "http_delivery"
        self.tables: dict[int, str] = {}

    @contextmanager
    def database_made(self) -> Iterator[None]:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')
        try:
            yield
        finally:
            with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def table(self, rows: int) -> str:
        """The source table of `rows` rows, made on first use."""
        if rows not in self.tables:
            name = f"people_{rows}"
            say(f"creating {name} ({rows:,} rows)")
            with psycopg.connect(dsn(self.database), autocommit=True) as conn:
                for statement in create_table_sql(name, rows):
                    conn.execute(statement)
            self.tables[rows] = name
        return self.tables[rows]

    def child(
        self,
        what: str,
        kind: Kind,
        rows: int,
        *,
        latency_ms: float = 0.0,
        profile: bool = False,
        timers: bool = False,
    ) -> Run:
        """Run one child (`http_runs.py syncline|floor`) against a fresh receiver."""
        args = self.args
        self.work.mkdir(parents=True, exist_ok=True)
        table = self.table(rows)
        with (
            tempfile.TemporaryDirectory(prefix="bench-http-") as scratch,
            Receiver(self.work, latency_ms) as receiver,
        ):
            result = Path(scratch) / "result.json"
            command = [
                sys.executable,
                str(HARNESS / "http_runs.py"),
                what,
                "--kind",
                kind.key,
                "--batch",
                str(args.batch),
                "--database",
                self.database,
                "--table",
                table,
                "--receiver",
                receiver.url,
                "--concurrency",
                str(args.concurrency),
                "--timeout",
                str(args.timeout),
                "--result",
                str(result),
                *(["--profile"] if profile else []),
                *(["--timers"] if timers else []),
            ]
            log = self.work / f"{what}-{kind.key}.log"
            log.write_text("")
            done = run_child(command, env=os.environ, log=log, cwd=REPO_DIR)
            if done.returncode or not result.exists():
                raise BenchError(f"{what} {kind.key} exited {done.returncode}:\n{tail(log)}")
            found = json.loads(result.read_text())
            seen = receiver.stats()
        if found["status"] != "completed" or found["counts"].get("error"):
            raise BenchError(
                f"{what} {kind.key} ended {found['status']} with counts {found['counts']}: "
                f"{found['errors']}"
            )
        return Run(
            seconds=found["seconds"],
            records=rows,
            peak_rss_mb=done.peak_rss_mb,
            rss_before_mb=found["rss_before_mb"],
            receiver=seen,
            counts=found["counts"],
            profile=found["profile"],
            timers=found["timers"],
        )


def measure(bench: Bench) -> tuple[list[Case], Run | None, list[Run]]:
    """Every case with its floor, then the in-flight probe, and the timed and the
    profiled webhook runs."""
    args = bench.args
    every = kinds(args.batch)
    cases = [
        Case(every[key], args.single_rows if key == "http_single" else args.rows)
        for key in args.cases
    ]
    for case in cases:
        bench.table(case.rows)
    for repeat in range(args.repeat):
        for case in cases:
            # The floor right before its case: both see the same load on a shared host.
            for what, into in (("floor", case.floors), ("syncline", case.runs)):
                say(f"{case.kind.key} {what} #{repeat + 1}: {case.rows:,} records")
                try:
                    run = bench.child(what, case.kind, case.rows)
                except BenchError as error:
                    case.failures.append(f"{what}: {error}")
                    say(f"FAILED {case.kind.key} {what}: {error}")
                    continue
                into.append(run)
                say(
                    f"{case.kind.key} {what}: {run.seconds:.1f} s, {run.rate:,.0f} records/s, "
                    f"peak RSS {run.peak_rss_mb:.0f} MB"
                )
    probe = None
    if args.probe_rows:
        say(f"probe: {args.probe_rows:,} records, answers {args.probe_latency_ms:g} ms late")
        try:
            probe = bench.child(
                "syncline", every["http_single"], args.probe_rows, latency_ms=args.probe_latency_ms
            )
        except BenchError as error:
            say(f"FAILED probe: {error}")
    profiled = []
    if args.profile:
        for how in ("timers", "profile"):
            say(f"{how}: webhook, {args.profile_rows:,} records")
            try:
                profiled.append(
                    bench.child(
                        "syncline",
                        every["webhook"],
                        args.profile_rows,
                        profile=how == "profile",
                        timers=how == "timers",
                    )
                )
            except BenchError as error:
                say(f"FAILED {how}: {error}")
    return cases, probe, profiled


# ------------------------------------------------------------------ report


def machine(database: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn(database)) as conn:
        found = conn.execute("SHOW server_version").fetchone()
    return [
        *host(),
        ("httpx", version("httpx")),
        ("PostgreSQL", str(found[0]) if found else "?"),
        ("Syncline commit", commit_of_src()),
    ]


def _median(runs: list[Run], value: str) -> float | None:
    values = [getattr(run, value) for run in runs]
    return statistics.median(values) if values else None


def _cell(value: float | None, form: str) -> str:
    return "-" if value is None else format(value, form)


def _mb(value: float) -> str:
    return f"{value / 1_000_000:,.1f}"


def report(
    args: argparse.Namespace,
    bench: Bench,
    cases: list[Case],
    probe: Run | None,
    profiled: list[Run],
    about: list[tuple[str, str]],
) -> str:
    out = [
        f"# HTTP delivery: {args.rows:,} records from PostgreSQL to a counting receiver",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. `{args.command}`",
        "",
        "Each case is a first `updateOrCreate` run of a sync of a generated CRM table "
        "(id, email, name, plan, mrr, updated_at), Syncline in-process in a child of its own "
        "(app + local executor through the API), concurrency "
        f"{args.concurrency}, to a receiver process that answers `200 {{}}` and counts. Its "
        "floor is a minimal `httpx.AsyncClient` script in its own child sending the same "
        "requests (bodies built the same way from the same rows, headers of the same names "
        "and sizes; building not timed) with the same concurrency, run right before the case. "
        "Syncline's seconds run from the start request to the end seen (reading PostgreSQL "
        "included); the floor's are the sending only. Peak RSS is the child's (wait4); the "
        "floor holds every body in memory. "
        + (f"Medians of {args.repeat} runs. " if args.repeat > 1 else "")
        + "Nothing here is asserted.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in about),
        "",
        "## Results",
        "",
        "| case | records | wall s | records/s | peak RSS MB | floor wall s | floor records/s "
        f"| floor peak RSS MB | ratio to floor | goal (batched: ≤ {GOAL}x) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for case in cases:
        seconds = _median(case.runs, "seconds")
        floor = _median(case.floors, "seconds")
        ratio = seconds / floor if seconds and floor else None
        if case.kind.batch_size == 1:
            peak = max((run.receiver["peak_in_flight"] for run in case.runs), default=None)
            goal = f"{peak} of {args.concurrency} in flight at peak" if peak is not None else "-"
        elif ratio is None:
            goal = "-"
        else:
            goal = "met" if ratio <= GOAL else "missed"
        out.append(
            f"| {case.kind.title} | {case.rows:,} | {_cell(seconds, '.1f')} "
            f"| {_cell(_median(case.runs, 'rate'), ',.0f')} "
            f"| {_cell(_median(case.runs, 'peak_rss_mb'), ',.0f')} | {_cell(floor, '.1f')} "
            f"| {_cell(_median(case.floors, 'rate'), ',.0f')} "
            f"| {_cell(_median(case.floors, 'peak_rss_mb'), ',.0f')} "
            f"| {_cell(ratio, '.2f')} | {goal} |"
        )
    out += [
        "",
        "## At the receiver",
        "",
        'What the receiver counted in each run (the last repeat): records by `"hash":` in '
        'gunzipped webhook bodies and `"id":` in JSON bodies; body MB as sent (gzipped for '
        "the webhook); in flight: requests whose first byte arrived and whose answer was not "
        "yet written (answers go out on the receiver loop's next turn), the mean over the "
        "span from the first arrival to the last answer.",
        "",
        "| case | run | connections | requests | records counted | body MB | wire MB "
        "| receiver CPU s | peak in flight | mean in flight |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        for label, runs in (("Syncline", case.runs), ("floor", case.floors)):
            if not runs:
                continue
            seen = runs[-1].receiver
            out.append(
                f"| {case.kind.title} | {label} | {seen['connections']:,} | {seen['requests']:,} "
                f"| {seen['records']:,} "
                f"| {_mb(seen['body_bytes'])} | {_mb(seen['wire_bytes'])} "
                f"| {seen['cpu_seconds']:.1f} | {seen['peak_in_flight']} "
                f"| {seen['mean_in_flight']:.2f} |"
            )
    if probe is not None:
        latency = args.probe_latency_ms / 1000
        seen = probe.receiver
        ideal = args.concurrency / latency
        span = seen["span_seconds"]
        sending = seen["requests"] / span if span else 0.0
        out += [
            "",
            "## One record per request: requests in flight",
            "",
            f"A Syncline run of {probe.records:,} records, one per request, against a receiver "
            f"answering each request {args.probe_latency_ms:g} ms late: {args.concurrency} "
            f"requests in flight deliver at most {ideal:,.0f} records/s, serial round trips "
            f"{1 / latency:,.0f}. The run's records/s include its start and end; while "
            "sending counts from the first request's arrival to the last answer.",
            "",
            "| records | wall s | records/s | while sending | of the in-flight ceiling "
            "| peak in flight | mean in flight |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {probe.records:,} | {probe.seconds:.1f} | {probe.rate:,.0f} | {sending:,.0f} "
            f"| {sending / ideal:.0%} | {seen['peak_in_flight']} "
            f"| {seen['mean_in_flight']:.2f} |",
        ]
    notes = [
        f"`{case.kind.title}`: {failure.splitlines()[0][:300]}"
        for case in cases
        for failure in case.failures
    ]
    for case in cases:
        for label, runs in (("Syncline", case.runs), ("floor", case.floors)):
            for run in runs:
                if run.receiver["records"] != case.rows or run.receiver["errors"]:
                    notes.append(
                        f"`{case.kind.title}` {label}: the receiver counted "
                        f"{run.receiver['records']:,} records ({run.receiver['errors']} "
                        f"errors), not {case.rows:,}"
                    )
    if any(case.kind.batch_size == 1 and case.rows != args.rows for case in cases):
        notes.append(
            f"One record per request runs over the first {args.single_rows:,} rows "
            f"(`--single-rows`), not {args.rows:,}: compare records/s."
        )
    for case in cases:
        if case.runs:
            notes.append(
                f"`{case.kind.title}`: the Syncline child held {case.runs[-1].rss_before_mb:,.0f}"
                " MB before the run started (app, store, imports)."
            )
    notes.append(f"Load average at start {args.load_at_start}, at the end {load_average()}.")
    out += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    for run in profiled:
        if run.timers:
            out += _timers_section(run)
        if run.profile:
            out += _profile_section(run)
    return "\n".join(out) + "\n"


def _timers_section(timed: Run) -> list[str]:
    out = [
        "",
        f"## Where the time goes: webhook, {timed.records:,} records",
        "",
        f"One webhook run of {timed.records:,} records ({timed.seconds:.1f} s, "
        f"{timed.rate:,.0f} records/s) with the steps of a delivery timed (wall seconds, "
        "no profiler). A step with dots runs inside the nearest step above it with fewer "
        "dots; the run's thread does everything but the prefetch thread's reading and "
        "mapping, and the sender's worker thread `RecordMemory.commit` (alongside the "
        "sending; it also runs at the end of each `write`, outside `send`).",
        "",
        "| step | calls | s | share of the run |",
        "|---|---:|---:|---:|",
        f"| the run, start request to end seen | 1 | {timed.seconds:.2f} | 100% |",
    ]
    for depth, label, calls, seconds in timed.timers:
        indent = "· " * depth
        out.append(
            f"| {indent}{label} | {calls:,} | {seconds:.2f} | {seconds / timed.seconds:.0%} |"
        )
    return out


def _profile_section(profiled: Run) -> list[str]:
    found = profiled.profile
    out = [
        "",
        f"## Profile: webhook, {profiled.records:,} records",
        "",
        f"One webhook run of {profiled.records:,} records under cProfile: "
        f"{profiled.seconds:.1f} s ({profiled.rate:,.0f} records/s; profiling slows "
        f"call-heavy code most), of which the engine's {found['batches']} batch writes "
        f"(`_Run._write`: the writer's `write`, which builds, sends and confirms the requests "
        "on the sender's event loop, and the engine's journal of the batch) took "
        f"{found['write_seconds']:.1f} s. cProfile loses the frames enclosing a connect made "
        "by httpx (through anyio), so the run's thread is profiled from the second batch "
        f"write on ({found['profiled_seconds']:.1f} s), when the connections are open. The "
        "prefetch thread reads and maps the next batch meanwhile; its seconds are wall time, "
        "waits on PostgreSQL and on the queue to the writer included.",
    ]
    for title, rows in found["tables"].items():
        out += [
            "",
            f"### {title}",
            "",
            "| calls | own s | cumulative s | function |",
            "|---:|---:|---:|---|",
            *(f"| {' | '.join(row[:3])} | `{row[3]}` |" for row in rows),
        ]
    return out


# ------------------------------------------------------------------ main


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the batched cases")
    parser.add_argument(
        "--single-rows", type=int, default=100_000, help="rows of one record per request"
    )
    parser.add_argument("--batch", type=int, default=100, help="records per batched request")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every case (medians)")
    parser.add_argument(
        "--cases", default="webhook,http_array,http_single", help="comma-separated, in order"
    )
    parser.add_argument("--profile", action="store_true", help="profile a webhook run")
    parser.add_argument("--profile-rows", type=int, default=100_000, help="rows of the profile")
    parser.add_argument(
        "--probe-rows", type=int, default=800, help="rows of the in-flight probe (0: none)"
    )
    parser.add_argument("--probe-latency-ms", type=float, default=100.0)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one run may take")
    args = parser.parse_args()
    every = kinds(args.batch)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not args.cases or any(c not in every for c in args.cases):
        parser.error(f"--cases: choose from {', '.join(every)}")
    if min(args.rows, args.single_rows, args.batch, args.concurrency, args.repeat) < 1:
        parser.error("--rows, --single-rows, --batch, --concurrency and --repeat are at least 1")
    args.command = shlex.join([".venv/bin/python", "bench/http_delivery.py", *sys.argv[1:]])
    args.load_at_start = load_average()
    return args


def main() -> int:
    args = parse()
    bench = Bench(args)
    with bench.database_made():
        about = machine(bench.database)
        cases, probe, profiled = measure(bench)
    print(report(args, bench, cases, probe, profiled, about))
    return 0


if __name__ == "__main__":
    sys.exit(main())
