"""Names shared by the harness, measurements, and process helpers (timing, peak RSS)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
"""`bench/`."""
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"
"""Scratch space (server data directories, Parquet output, logs, dlt pipelines)."""
RESULTS_DIR = BENCH_DIR / "results"

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_DATABASE = "test"
PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"

MYSQL_HOST = "127.0.0.1"
MYSQL_PORT = 3306
MYSQL_USER = "root"
MYSQL_DATABASE = "test"

SCHEMA = "syncline_bench"
"""PostgreSQL schema of the source table and the PostgreSQL targets."""
SOURCE_TABLE = "users"
SYNCLINE_TABLE = "users_syncline"
"""The table Syncline writes (in PostgreSQL and in MariaDB)."""
PIPE_TABLE = "users_pipe"
"""The table a full pipe baseline writes."""
PIPE_DELTA_TABLE = "users_pipe_delta"
"""The empty table an incremental pipe baseline writes the changed rows into."""
DLT_DATASET = "dlt_bench"
"""PostgreSQL schema dlt loads into."""

FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "plan",
    "mrr",
    "signup_at",
    "updated_at",
    "is_active",
    "score",
    "country",
)


class BenchError(Exception):
    """A step of the benchmark went wrong; the message says which and why."""


@dataclass
class Measurement:
    """One timed run of one case."""

    seconds: float
    rows: int
    """Rows the case had to move: the table for a full run, the changed rows otherwise."""
    peak_rss_mb: float | None = None
    detail: str = ""


@dataclass
class CaseResult:
    """Every repeat of one case, or why it failed."""

    group: str
    """What is synced where, e.g. "PostgreSQL → MariaDB"."""
    tool: str
    case: str
    phase: str
    """`full`, `change_a`, `tracking_setup` or `change_b`: picks the baseline a ratio uses."""
    runs: list[Measurement] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def median_seconds(self) -> float | None:
        """The median wall time, None without a successful run."""
        return statistics.median(m.seconds for m in self.runs) if self.runs else None

    def median_rss(self) -> float | None:
        """The median peak RSS in MB, None when not measured."""
        values = [m.peak_rss_mb for m in self.runs if m.peak_rss_mb is not None]
        return statistics.median(values) if values else None


def tool_path(name: str) -> str:
    """The absolute path of a command-line tool; `BenchError` when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise BenchError(f"{name} is needed and not on PATH")
    return path


def psql_command(sql: str) -> list[str]:
    """A quiet `psql` invocation running one statement against the benchmark database."""
    return [
        tool_path("psql"),
        "-h",
        PG_HOST,
        "-p",
        str(PG_PORT),
        "-U",
        PG_USER,
        "-d",
        PG_DATABASE,
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
    ]


def mariadb_command(sql: str) -> list[str]:
    """A `mariadb` client invocation allowed to send a local file (LOAD DATA LOCAL)."""
    return [
        tool_path("mariadb"),
        "-h",
        MYSQL_HOST,
        "-P",
        str(MYSQL_PORT),
        "-u",
        MYSQL_USER,
        "--local-infile=1",
        MYSQL_DATABASE,
        "-e",
        sql,
    ]


def timed_pipe(producer: Sequence[str], consumer: Sequence[str]) -> float:
    """Seconds to run `producer | consumer`; `BenchError` with stderr when either fails."""
    start = time.perf_counter()
    out = subprocess.Popen(  # noqa: S603
        list(producer), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert out.stdout is not None
    into = subprocess.run(  # noqa: S603
        list(consumer), stdin=out.stdout, capture_output=True, check=False
    )
    out.stdout.close()
    out_err = out.stderr.read() if out.stderr else b""
    out.wait()
    elapsed = time.perf_counter() - start
    if out.returncode or into.returncode:
        raise BenchError(
            "pipe failed:\n"
            f"  {producer[0]} exited {out.returncode}: {out_err.decode(errors='replace').strip()}\n"
            f"  {consumer[0]} exited {into.returncode}: "
            f"{into.stderr.decode(errors='replace').strip()}"
        )
    return elapsed


@dataclass
class ChildRun:
    """A finished child process: wall time, its own peak RSS and its exit code."""

    seconds: float
    peak_rss_mb: float
    returncode: int


def run_child(
    command: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> ChildRun:
    """Run `command` with stdout and stderr into `log`; the peak RSS comes from wait4."""
    with log.open("ab") as out:
        start = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603
            list(command), env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(elapsed, usage.ru_maxrss / 1024, child.returncode)


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no {key} in /proc/{pid}/status")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size since the last `reset_peak` (Linux `VmHWM`)."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """The process's resident set size now (Linux `VmRSS`)."""
    return _status_mb(pid, "VmRSS")


def reset_peak(pid: int) -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM to VmRSS)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def git(*args: str) -> str:
    """What `git args` prints in the repository, stripped; "" when it fails."""
    try:
        done = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def host() -> list[tuple[str, str]]:
    """The machine a report was measured on, as (name, value) rows: CPU model, cores,
    RAM, OS and Python."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "?",
    )
    memory = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return [
        ("CPU", model),
        ("cores (logical, usable)", f"{os.cpu_count()}, {len(os.sched_getaffinity(0))}"),
        ("RAM", f"{memory / 1024 / 1024:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
    ]


def commit_of_src() -> str:
    """The checked-out commit, saying so when `src/` holds uncommitted changes."""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = " + uncommitted changes in src/" if git("status", "--porcelain", "--", "src") else ""
    return commit + dirty
