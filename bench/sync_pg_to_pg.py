"""Benchmark: one PostgreSQL -> PostgreSQL updateOrCreate sync of a generated users table.

Runs Syncline as a user would (`syncline serve` plus the HTTP API), and in the
same sitting the floor: PostgreSQL's own binary COPY piped from one psql into
another. Prints wall time, rows/s and the server's peak RSS for the first full
run and for a run after 1% of the rows changed, each with its ratio to the
COPY pipe.

    .venv/bin/python bench/sync_pg_to_pg.py [--rows 1000000]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) and `psql`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
SCHEMA = "syncline_bench"
KEY = "sl_bench_key"
COLUMNS = (
    "id bigint PRIMARY KEY, email text, first_name text, last_name text, company text,"
    " plan text, mrr numeric(10,2), signup_at timestamptz, updated_at timestamptz,"
    " is_active boolean, score double precision, country char(2)"
)
FIELDS = (
    "id", "email", "first_name", "last_name", "company", "plan", "mrr",
    "signup_at", "updated_at", "is_active", "score", "country",
)


def generate(rows: int) -> None:
    """The source table, deterministic, and an empty target with the same shape."""
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        have = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = 'users'",
            [SCHEMA],
        ).fetchone()
        count = conn.execute(f"SELECT count(*) FROM {SCHEMA}.users").fetchone() if have and have[0] else None
        if not count or count[0] != rows:
            conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.users")
            conn.execute(f"CREATE TABLE {SCHEMA}.users ({COLUMNS})")
            conn.execute(
                f"INSERT INTO {SCHEMA}.users SELECT i, 'user' || i || '@example.com',"
                " 'First' || (i % 1000), 'Last' || (i % 5000), 'Company ' || (i % 20000),"
                " (ARRAY['free','starter','pro','enterprise'])[1 + i % 4],"
                " round((i % 10000) / 7.0, 2), timestamptz '2020-01-01' + i * interval '1 minute',"
                " timestamptz '2024-01-01' + i * interval '1 second', i % 3 <> 0,"
                " (i % 997) / 13.0, (ARRAY['US','GB','DE','FR','JP'])[1 + i % 5]"
                f" FROM generate_series(1, {rows}) i"
            )
            conn.execute(f"VACUUM ANALYZE {SCHEMA}.users")
        reset_targets(conn)


def reset_targets(conn: psycopg.Connection[Any]) -> None:
    for table in ("users_copy", "users_pipe"):
        conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
        conn.execute(f"CREATE TABLE {SCHEMA}.{table} ({COLUMNS})")


def copy_pipe() -> float:
    """The floor: binary COPY out of one psql into another."""
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql is needed for the COPY baseline")
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {SCHEMA}.users_pipe")
    base = [psql, "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c"]
    start = time.perf_counter()
    out = subprocess.Popen(  # noqa: S603
        [*base, f"COPY {SCHEMA}.users TO STDOUT (FORMAT binary)"], stdout=subprocess.PIPE
    )
    subprocess.run(  # noqa: S603
        [*base, f"COPY {SCHEMA}.users_pipe FROM STDIN (FORMAT binary)"], stdin=out.stdout, check=True
    )
    out.wait()
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (Linux `VmHWM`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def run(client: httpx.Client, sync_id: str) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    execution_id = client.post(f"/api/syncs/{sync_id}/executions", json={}).json()["data"]["id"]
    while True:
        execution = client.get(f"/api/syncs/{sync_id}/executions/{execution_id}").json()["data"]
        if execution["status"] in ("completed", "failed", "canceled", "interrupted"):
            return time.perf_counter() - start, execution
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    generate(args.rows)
    pipe = min(copy_pipe() for _ in range(3))

    data_dir = Path(tempfile.mkdtemp(prefix="syncline-bench-"))
    port = free_port()
    env = {**os.environ, "SYNCLINE_DATA_DIR": str(data_dir), "SYNCLINE_API_KEY": KEY,
           "SYNCLINE_DEMO": "false"}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "syncline.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                              headers={"Authorization": f"Bearer {KEY}"})
        for _ in range(100):
            try:
                client.get("/api/me")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        config = {"hostname": "127.0.0.1", "port": 5432, "database": "test", "username": "postgres"}
        connection = client.post("/api/connections", json={"name": "pg", "type": "postgresql",
                                                           "configuration": config}).json()["data"]
        model = client.post("/api/models", json={"name": "users", "connection_id": connection["id"],
                            "configuration": {"table": f"{SCHEMA}.users"}}).json()["data"]
        src = lambda f: {"model_id": model["id"], "field": f}  # noqa: E731
        sync = client.post("/api/syncs", json={
            "name": "bench", "mode": "updateOrCreate", "active": True, "schedule": {},
            "target": {"connection_id": connection["id"], "object": f"{SCHEMA}.users_copy"},
            "fields": [{"source": src(f), "target": f} for f in FIELDS],
            "identities": {"mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]},
        }).json()["data"]

        reset_peak(server.pid)
        full_time, full = run(client, sync["id"])
        full_rss = peak_rss_mb(server.pid)
        changed = max(1, args.rows // 100)
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(
                f"UPDATE {SCHEMA}.users SET mrr = mrr + 1, updated_at = now() WHERE id % 100 = 0"
            )
        reset_peak(server.pid)
        incr_time, incr = run(client, sync["id"])
        incr_rss = peak_rss_mb(server.pid)
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(
                f"UPDATE {SCHEMA}.users SET mrr = mrr - 1 WHERE id % 100 = 0"
            )
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"rows: {args.rows:,}  changed in the incremental run: {changed:,}")
    print("| case | wall s | rows/s | peak RSS MB | ratio to COPY pipe | counts |")
    print("|---|---|---|---|---|---|")
    print(f"| psql binary COPY pipe (best of 3) | {pipe:.2f} | {args.rows / pipe:,.0f} | - | 1.00 | - |")
    print(f"| Syncline full run | {full_time:.2f} | {args.rows / full_time:,.0f} | {full_rss:.0f} |"
          f" {full_time / pipe:.2f} | {full['status']} {full['counts']} |")
    print(f"| Syncline 1% changed | {incr_time:.2f} | {args.rows / incr_time:,.0f} | {incr_rss:.0f} |"
          f" {incr_time / pipe:.2f} | {incr['status']} {incr['counts']} |")


if __name__ == "__main__":
    main()
