"""Model sync benchmark: Syncline next to psql COPY, MariaDB LOAD DATA, dlt and sling.

Generates a deterministic users table in the local PostgreSQL (1M rows, 10M
with --10m) and, through `syncline serve` and its HTTP API, syncs it in
updateOrCreate mode to PostgreSQL, MariaDB and Parquet files. Per target:
the first full run, a run after 1% of the rows changed, and a run after the
model's tracking column was set to `updated_at` and another 1% changed.
Baselines measured in the same sitting: the psql binary COPY pipe, the psql
CSV → MariaDB LOAD DATA LOCAL pipe, dlt's merge and sling's incremental
mode (each in a throwaway venv).
Prints and writes a Markdown report to bench/results/<date>-<rows>.md.

    .venv/bin/python bench/run.py [--rows N | --10m] [--repeat 3]
        [--targets pg,mariadb,parquet] [--no-dlt] [--no-sling]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres, database
test), MariaDB on 127.0.0.1:3306 (root, no password, database test, with
local_infile on) and the `psql` and `mariadb` clients.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import baselines, data
from harness.common import (
    MYSQL_DATABASE,
    REPO_DIR,
    SCHEMA,
    SYNCLINE_TABLE,
    WORK_DIR,
    BenchError,
    Measurement,
)
from harness.data import CHANGE_A, CHANGE_B, SOURCE
from harness.dlt_runner import DltRunner, ensure_dlt_venv
from harness.report import BASELINE_GROUP, COPY_PIPE, LOAD_PIPE, Report, machine
from harness.server import MYSQL_CONFIG, PG_CONFIG, Api, SynclineServer
from harness.sling_runner import SlingRunner, ensure_sling

TARGETS = {
    "pg": "PostgreSQL → PostgreSQL",
    "mariadb": "PostgreSQL → MariaDB",
    "parquet": "PostgreSQL → Parquet files",
}
SYNCLINE = "Syncline"


class RecordedError(BenchError):
    """A case failed and its failure is in the report already."""


def _attempt(report: Report, group: str, tool: str, steps: Callable[[], None]) -> None:
    """Run one tool's cases; a failure outside any case is charged to its first full run."""
    try:
        steps()
    except RecordedError:
        _say(f"{group} / {tool}: stopped after the failure above; continuing")
    except Exception as exc:  # noqa: BLE001 - reported, and the other cases still run
        message = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        report.case(group, tool, "full").failures.append(f"setup: {message}")
        _say(f"FAILED {group} / {tool} (setup):\n{message}")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the users table")
    parser.add_argument(
        "--10m", dest="ten_million", action="store_true", help="10,000,000 rows (overrides --rows)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of every case (medians)")
    parser.add_argument(
        "--targets", default="pg,mariadb,parquet", help="comma-separated: pg, mariadb, parquet"
    )
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt baseline")
    parser.add_argument("--no-sling", action="store_true", help="skip the sling baseline")
    parser.add_argument(
        "--dlt-loader-file-format",
        default=None,
        help="dlt's loader_file_format for postgres, e.g. csv (default: dlt's, insert_values)",
    )
    parser.add_argument(
        "--timeout", type=float, default=7200, help="seconds one execution may take"
    )
    args = parser.parse_args()
    if args.ten_million:
        args.rows = 10_000_000
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown or not args.targets:
        parser.error(f"--targets: unknown {unknown}; choose from {', '.join(TARGETS)}")
    if args.rows < 100 or args.repeat < 1:
        parser.error("--rows must be at least 100 and --repeat at least 1")
    return args


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _record(
    report: Report, group: str, tool: str, phase: str, run: Callable[[], Measurement]
) -> None:
    """Run one case into the report; a failure is recorded, printed and raised again."""
    case = report.case(group, tool, phase)
    try:
        measured = run()
    except Exception as exc:
        message = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        case.failures.append(message)
        _say(f"FAILED {group} / {tool} / {case.case}:\n{message}")
        raise RecordedError(message) from exc
    case.runs.append(measured)
    rss = f", peak RSS {measured.peak_rss_mb:,.0f} MB" if measured.peak_rss_mb else ""
    _say(f"{group} / {tool} / {case.case}: {measured.seconds:.2f} s{rss} {measured.detail}")


def _pipes(report: Report, rows: int, mariadb: bool) -> None:
    """The COPY (and LOAD DATA) pipes: whole table, then each change's rows."""
    data.restore_source()
    steps: list[tuple[str, data.Change | None]] = [("full", None)]
    steps += [("change_a", CHANGE_A), ("change_b", CHANGE_B)]
    for phase, change in steps:
        moved = rows
        if change is not None:
            moved = data.apply_change(change, rows)

        def copy(change: data.Change | None = change, moved: int = moved) -> Measurement:
            return Measurement(baselines.copy_pipe(change), moved)

        def load(change: data.Change | None = change, moved: int = moved) -> Measurement:
            return Measurement(baselines.load_data_pipe(change), moved)

        _record(report, BASELINE_GROUP, COPY_PIPE, phase, copy)
        if mariadb:
            _record(report, BASELINE_GROUP, LOAD_PIPE, phase, load)
    data.restore_source()


def _target_spec(target: str, api: Api, work: Path) -> tuple[dict[str, Any], Callable[[], None]]:
    """The sync's `target` for one kind of target, and the check of its content."""
    if target == "pg":
        data.reset_pg_table(SYNCLINE_TABLE)
        connection = api.connection("bench target pg", "postgresql", PG_CONFIG)
        table = f"{SCHEMA}.{SYNCLINE_TABLE}"
        return {"connection_id": connection, "object": table}, lambda: data.check_pg(table)
    if target == "mariadb":
        data.reset_mysql_table(SYNCLINE_TABLE)
        connection = api.connection("bench target mariadb", "mysql", MYSQL_CONFIG)

        def check_mariadb() -> None:
            data.check_fingerprint(
                f"MariaDB {SYNCLINE_TABLE}",
                data.mysql_fingerprint(SYNCLINE_TABLE),
                data.pg_fingerprint(SOURCE),
            )

        spec: dict[str, Any] = {
            "connection_id": connection,
            "object": f"{MYSQL_DATABASE}.{SYNCLINE_TABLE}",
        }
        return spec, check_mariadb
    directory = work / "parquet"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    connection = api.connection("bench target files", "files", {"path": str(directory)})

    def check_parquet() -> None:
        files = sorted(directory.glob("*.parquet"))
        if len(files) != 1:
            raise BenchError(f"expected one Parquet file in {directory}, found {files}")
        data.check_fingerprint(
            f"Parquet {files[0].name}",
            data.parquet_fingerprint(files[0]),
            data.pg_fingerprint(SOURCE),
        )

    created: dict[str, Any] = {
        "connection_id": connection,
        "create": {"name": "users", "format": "parquet"},
    }
    return created, check_parquet


def _syncline(report: Report, target: str, rows: int, timeout: float) -> None:
    """One target through Syncline: full, 1% changed, tracking on, 1% changed again."""
    group = TARGETS[target]
    data.restore_source()
    work = WORK_DIR / f"syncline-{target}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with SynclineServer(work) as api:
        source = api.connection("bench source", "postgresql", PG_CONFIG)
        model = api.users_model(source)
        sync_target, check = _target_spec(target, api, work)
        sync_id = api.sync(model["id"], sync_target)

        def run(moved: int) -> Callable[[], Measurement]:
            def measured() -> Measurement:
                result = api.run(sync_id, moved, timeout)
                check()
                return result

            return measured

        _record(report, group, SYNCLINE, "full", run(rows))
        _record(report, group, SYNCLINE, "change_a", run(data.apply_change(CHANGE_A, rows)))
        api.enable_tracking(model)
        _record(report, group, SYNCLINE, "tracking_setup", run(0))
        _record(report, group, SYNCLINE, "change_b", run(data.apply_change(CHANGE_B, rows)))
    data.restore_source()
    # Everything passed: keep the server log, free the space of the state and the files.
    for scratch in ("syncline-data", "parquet"):
        shutil.rmtree(work / scratch, ignore_errors=True)


def _dlt_tool(loader_file_format: str | None) -> str:
    return f"dlt merge (pyarrow, {loader_file_format or 'insert_values'})"


SLING_TOOL = "sling incremental (primary key id)"


class PeerRunner(Protocol):
    """A comparison tool loading the source table into `table` in PostgreSQL."""

    table: str

    def reset(self) -> None: ...

    def run(self, rows: int, *, incremental: str | None = None) -> Measurement: ...


def _peer(report: Report, tool: str, runner: PeerRunner, rows: int) -> None:
    """A peer into PostgreSQL: full, 1% changed, incremental on `updated_at`, 1% changed again."""
    group = TARGETS["pg"]
    data.restore_source()
    runner.reset()

    def run(moved: int, incremental: str | None = None) -> Callable[[], Measurement]:
        def measured() -> Measurement:
            result = runner.run(moved, incremental=incremental)
            data.check_pg(runner.table)
            return result

        return measured

    _record(report, group, tool, "full", run(rows))
    _record(report, group, tool, "change_a", run(data.apply_change(CHANGE_A, rows)))
    _record(report, group, tool, "tracking_setup", run(0, "updated_at"))
    _record(report, group, tool, "change_b", run(data.apply_change(CHANGE_B, rows), "updated_at"))
    data.restore_source()


def _peers(args: argparse.Namespace, report: Report) -> list[tuple[str, PeerRunner]]:
    """The comparison tools this sitting runs (installed on first use), noted in the report."""
    peers: list[tuple[str, PeerRunner]] = []
    if args.no_dlt:
        report.notes.append("dlt skipped (--no-dlt).")
    else:
        dlt_python, note = ensure_dlt_venv()
        report.notes.append(
            note + ": sql_database source, pyarrow backend, merge on primary key id, destination"
            " postgres, loader_file_format "
            + (args.dlt_loader_file_format or "insert_values (dlt's default)")
            + "; a fresh process per run (start-up and import included); incremental via "
            "dlt.sources.incremental('updated_at') from the setup run on."
        )
        _say(note)
        if dlt_python is not None:
            runner = DltRunner(dlt_python, WORK_DIR, args.dlt_loader_file_format)
            peers.append((_dlt_tool(args.dlt_loader_file_format), runner))
    if args.no_sling:
        report.notes.append("sling skipped (--no-sling).")
    else:
        binary, note = ensure_sling()
        report.notes.append(
            note + ": `sling run` PostgreSQL to PostgreSQL in incremental mode with primary key "
            "id (a full read and upsert), with update key updated_at from the setup run on; "
            "a fresh process per run."
        )
        _say(note)
        if binary is not None:
            peers.append((SLING_TOOL, SlingRunner(binary, WORK_DIR)))
    return peers


def main() -> int:
    """Run the benchmark; 0 when every case succeeded, 1 otherwise."""
    args = _parse()
    python = Path(sys.executable)
    shown = python.relative_to(REPO_DIR) if python.is_relative_to(REPO_DIR) else python
    command = shlex.join([str(shown), *sys.argv])
    report = Report(args.rows, args.repeat, command, machine())
    for name, value in report.machine:
        _say(f"{name}: {value}")
    WORK_DIR.mkdir(parents=True, exist_ok=True)

    _say(f"preparing {SOURCE} with {args.rows:,} rows ...")
    created = data.ensure_source(args.rows)
    restored = data.restore_source()
    report.notes.append(
        f"Source {SOURCE}: {'generated now' if created else 'reused (same generator and rows)'}"
        + (f"; {restored:,} changed rows restored first." if restored else ".")
    )
    report.notes.append(
        "Incremental pipes copy `WHERE updated_at > <watermark>` into an empty table of the "
        "same shape: a sequential scan (no index on updated_at), no merge."
    )
    report.notes.append(
        "Each Syncline target runs on a fresh `syncline serve` with a fresh data directory and "
        "sync; the tracking column is switched on with PUT /api/models/{id} after the second "
        "run, then one run without changes (setup), then the second 1% change."
    )

    peers = _peers(args, report)

    for repeat in range(1, args.repeat + 1):
        _say(f"repeat {repeat}/{args.repeat}")
        _attempt(
            report,
            BASELINE_GROUP,
            COPY_PIPE,
            partial(_pipes, report, args.rows, "mariadb" in args.targets),
        )
        for target in args.targets:
            _attempt(
                report,
                TARGETS[target],
                SYNCLINE,
                partial(_syncline, report, target, args.rows, args.timeout),
            )
        for tool, runner in peers:
            _attempt(report, TARGETS["pg"], tool, partial(_peer, report, tool, runner, args.rows))
    data.restore_source()

    report.machine.append(
        ("load average at end", " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    )
    text = report.markdown()
    print(text)
    path = report.write()
    _say(f"written to {path}")
    failures = report.failures()
    if failures:
        _say(f"{len(failures)} failure(s):")
        for failure in failures:
            print(f"  - {failure.splitlines()[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
