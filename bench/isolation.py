"""Benchmark: how much bad records cost, against a clean floor measured in the same run.

    .venv/bin/python bench/isolation.py [--rows 50000] [--batch 10000]
        [--targets pg,mariadb] [--modes append,updateOrCreate] [--skip-runs] [--skip-batches]

Two parts, each per target (PostgreSQL, MariaDB) and mode (append, updateOrCreate):

1. Batches: one writer (`connector.open_writer`) writes one batch of `--batch`
   records into a fresh table: clean (the floor), with 1% bad records
   scattered, and with every record bad. Each case is timed three times
   (median), each on a fresh table.
2. Runs: `syncline serve` runs a sync of a `--rows` source through the HTTP
   API, each on a fresh table and a fresh sync: clean (the floor), 1% bad
   records scattered, 1% clashing on `email`'s unique key with rows already
   in the table, and a mapping where every record is bad.

The target table is `(id bigint primary key, email varchar(64), plan text,
mrr numeric(10,2) CHECK (mrr >= 0), note text)`. Half the bad records
break the CHECK constraint (only the server knows), the other half carry an
`email` of 100 characters (a column-level fault). The all-bad cases map a
value breaking the CHECK constraint onto `mrr` in every record (server-only,
the hard case), and for the batches also a too-long `email` in every record.
`one_percent_unique` makes 1% of the records clash with rows already in
the table on `email`'s unique key, which the server finds set-wise after
the batch fails (one query per unique index over the staged records). `all_bad_check_next` times
the second all-bad batch a writer writes (the first told it to screen the
CHECK constraints before attempting). Every case checks its result: the
good records landed, each bad one was rejected.

Targets (issue: bad records are isolated quickly): 1% bad costs at most 3x
the clean floor; an all-bad batch at most 2x a clean batch. Prints times,
ratios and PASS/FAIL; exits 1 if a check of the results failed.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres, database
test) and MariaDB on 127.0.0.1:3306 (root, no password, database test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
import pyarrow.compute as pc
from harness import data
from harness.common import MYSQL_DATABASE, SCHEMA, WORK_DIR, BenchError
from harness.server import MYSQL_CONFIG, PG_CONFIG, TERMINAL, Api, SynclineServer

from syncline.connectors.mysql import MysqlConnector
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import RecordResult, WriteColumn, WritePlan

TARGETS = {"pg": "PostgreSQL", "mariadb": "MariaDB"}
MODES = {"append": SyncMode.APPEND, "updateOrCreate": SyncMode.UPDATE_OR_CREATE}
ONE_PERCENT_LIMIT = 3.0
ALL_BAD_LIMIT = 2.0
FIELDS = ("id", "email", "plan", "mrr", "note")
PG_DDL = (
    "(id bigint PRIMARY KEY, email varchar(64) UNIQUE, plan text,"
    " mrr numeric(10,2) CHECK (mrr >= 0), note text)"
)
MYSQL_DDL = (
    "(id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(64) UNIQUE, plan TEXT,"
    " mrr DECIMAL(10,2) CHECK (mrr >= 0), note TEXT) ENGINE=InnoDB"
)
SOURCE = "iso_source"
"""The source table (schema `SCHEMA`): `FIELDS` with 1% bad values, plus `neg_mrr`."""
CLEAN_SOURCE = "iso_clean"


def _bad_kind(i: int) -> str | None:
    """Which fault record `i` (1-based id) carries in the 1% case: scattered, every 100th."""
    if i % 100 != 37:
        return None
    return "check" if i % 200 == 37 else "long"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ------------------------------------------------------------------ targets


class Target:
    """One target database: a fresh table per case, and reading it back."""

    def __init__(self, key: str) -> None:
        self.key = key
        if key == "pg":
            self.connector: Any = PostgresqlConnector(PostgresqlConfig.model_validate(PG_CONFIG))
            self.schema = SCHEMA
        else:
            self.connector = MysqlConnector(MysqlConfig.model_validate(MYSQL_CONFIG))
            self.schema = MYSQL_DATABASE
        self.tables: list[str] = []

    def fresh_table(self) -> str:
        """A new empty target table; its `schema.name`."""
        name = f"iso_t_{uuid.uuid4().hex[:10]}"
        self.tables.append(name)
        if self.key == "pg":
            with data.pg_connect() as conn:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.execute(f"CREATE TABLE {SCHEMA}.{name} {PG_DDL}")
        else:
            with data.mysql_connect() as conn, conn.cursor() as cursor:
                cursor.execute(f"CREATE TABLE `{name}` {MYSQL_DDL}")
        return f"{self.schema}.{name}"

    def take_emails(self, table: str, count: int) -> None:
        """Rows with negative ids holding the emails `taken<i>@example.com`, i in 1..count."""
        name = table.split(".", 1)[1]
        if self.key == "pg":
            with data.pg_connect() as conn:
                conn.execute(
                    f"INSERT INTO {SCHEMA}.{name} (id, email) SELECT -i,"
                    f" 'taken' || i || '@example.com' FROM generate_series(1, {count}) i"
                )
        else:
            with data.mysql_connect() as conn, conn.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO `{name}` (id, email) SELECT -seq,"
                    f" concat('taken', seq, '@example.com') FROM seq_1_to_{count}"
                )

    def hold_source_emails(self, table: str, rows: int) -> None:
        """Rows with negative ids holding the emails of 1% of a clean source's records
        (`user<i>@example.com`, i % 100 == 37): a run's records clash there."""
        name = table.split(".", 1)[1]
        if self.key == "pg":
            with data.pg_connect() as conn:
                conn.execute(
                    f"INSERT INTO {SCHEMA}.{name} (id, email) SELECT -i,"
                    f" 'user' || i || '@example.com' FROM generate_series(1, {rows}) i"
                    " WHERE i % 100 = 37"
                )
        else:
            with data.mysql_connect() as conn, conn.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO `{name}` (id, email) SELECT -seq,"
                    f" concat('user', seq, '@example.com') FROM seq_1_to_{rows}"
                    " WHERE seq % 100 = 37"
                )

    def ids(self, table: str) -> list[int]:
        """The ids in `table`, sorted."""
        name = table.split(".", 1)[1]
        if self.key == "pg":
            with data.pg_connect() as conn:
                return [int(r[0]) for r in conn.execute(f"SELECT id FROM {SCHEMA}.{name}")]
        with data.mysql_connect() as conn, conn.cursor() as cursor:
            cursor.execute(f"SELECT id FROM `{name}`")
            return sorted(int(r[0]) for r in cursor.fetchall())

    def drop_all(self) -> None:
        """Drop every table this target made."""
        for name in self.tables:
            if self.key == "pg":
                with data.pg_connect() as conn:
                    conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")
            else:
                with data.mysql_connect() as conn, conn.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS `{name}`")
        self.tables.clear()


# ------------------------------------------------------------------ results


@dataclass
class Line:
    """One measured case and its ratio to its floor."""

    part: str
    target: str
    mode: str
    case: str
    seconds: float
    floor: float | None = None
    limit: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.floor is None else self.seconds / self.floor

    def verdict(self) -> str:
        if self.limit is None or self.ratio is None:
            return ""
        return "PASS" if self.ratio <= self.limit else "FAIL"


# ------------------------------------------------------------------ part 1: batches


def _batch(size: int, case: str) -> pa.RecordBatch:
    ids = list(range(1, size + 1))
    emails = [f"user{i}@example.com" for i in ids]
    mrr = [Decimal(i % 10000) / 100 for i in ids]
    if case == "one_percent":
        for n, i in enumerate(ids):
            kind = _bad_kind(i)
            if kind == "check":
                mrr[n] = Decimal("-1.00")
            elif kind == "long":
                emails[n] = "x" * 100
    elif case.startswith("all_bad_check"):
        mrr = [Decimal("-1.00")] * size
    elif case == "all_bad_long":
        emails = ["x" * 100] * size
    elif case == "one_percent_unique":
        emails = [
            f"taken{i}@example.com" if i % 100 == 37 else e
            for i, e in zip(ids, emails, strict=True)
        ]
    return pa.RecordBatch.from_pydict(
        {
            "id": pa.array(ids, pa.int64()),
            "email": pa.array(emails, pa.string()),
            "plan": pa.array([("free", "pro")[i % 2] for i in ids], pa.string()),
            "mrr": pa.array(mrr, pa.decimal128(10, 2)),
            "note": pa.array([f"note {i}" for i in ids], pa.string()),
        }
    )


def _expected_ids(size: int, case: str) -> list[int]:
    if case == "clean":
        return list(range(1, size + 1))
    if case == "one_percent":
        return [i for i in range(1, size + 1) if _bad_kind(i) is None]
    if case == "one_percent_unique":
        return [i for i in range(1, size + 1) if i % 100 != 37]
    return []


def _time_batch(target: Target, mode: SyncMode, batch: pa.RecordBatch, case: str) -> float:
    """Seconds to write `batch` with a fresh writer into a fresh table; a case
    ending in `_next` times a second such batch, after one the writer wrote."""
    table = target.fresh_table()
    if case == "one_percent_unique":
        target.take_emails(table, batch.num_rows)
    plan = WritePlan(
        object_id=table,
        mode=mode,
        columns=tuple(WriteColumn(f.name, f.type) for f in batch.schema),
        identity=("id",) if mode is SyncMode.UPDATE_OR_CREATE else (),
    )
    size = batch.num_rows
    with target.connector.open_writer(plan) as writer:
        if case.endswith("_next"):
            shifted = pa.RecordBatch.from_arrays(
                [pc.add(batch.column(0), size), *batch.columns[1:]], schema=batch.schema
            )
            writer.write(shifted, 0)
        start = time.perf_counter()
        result = writer.write(batch, 1)
        seconds = time.perf_counter() - start
        writer.finish()
    rejected = [i + 1 for i, r in enumerate(result.results) if r is RecordResult.REJECTED]
    want = _expected_ids(size, case)
    got = [i for i in target.ids(table) if 0 < i <= size]
    if got != want or len(rejected) != batch.num_rows - len(want):
        raise BenchError(
            f"{target.key} {mode.value} {case}: {len(got)} rows landed (want {len(want)}),"
            f" {len(rejected)} rejected"
        )
    return seconds


def batches(targets: list[Target], modes: list[str], size: int, repeat: int) -> list[Line]:
    """Part 1: one batch per case, median of `repeat`."""
    lines = []
    cases = (
        "clean",
        "one_percent",
        "one_percent_unique",
        "all_bad_check",
        "all_bad_check_next",
        "all_bad_long",
    )
    prepared = {case: _batch(size, case.removesuffix("_next")) for case in cases}
    for target in targets:
        for mode_name in modes:
            mode = MODES[mode_name]
            floor = None
            for case in cases:
                times = [_time_batch(target, mode, prepared[case], case) for _ in range(repeat)]
                seconds = statistics.median(times)
                if case == "clean":
                    floor = seconds
                limit = (
                    None
                    if case == "clean"
                    else ONE_PERCENT_LIMIT
                    if case in ("one_percent", "one_percent_unique")
                    else ALL_BAD_LIMIT
                )
                line = Line("batch", TARGETS[target.key], mode_name, case, seconds, floor, limit)
                lines.append(line)
                _say(_format(line))
            target.drop_all()
    return lines


# ------------------------------------------------------------------ part 2: runs


def _prepare_source(rows: int) -> None:
    """The source tables: `iso_clean` and `iso_source` (1% bad), both with `neg_mrr`."""
    long_email = "'" + "x" * 100 + "'"
    with data.pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for name, dirty in ((CLEAN_SOURCE, False), (SOURCE, True)):
            email = "'user' || i || '@example.com'"
            mrr = "((i % 10000) / 100.0)::numeric(10,2)"
            if dirty:
                email = f"CASE WHEN i % 200 = 137 THEN {long_email} ELSE {email} END"
                mrr = f"CASE WHEN i % 200 = 37 THEN -1.00 ELSE {mrr} END"
            conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")
            conn.execute(
                f"CREATE TABLE {SCHEMA}.{name} AS SELECT i::bigint AS id, {email} AS email,"
                f" (ARRAY['free', 'pro'])[1 + i % 2] AS plan, {mrr}::numeric(10,2) AS mrr,"
                f" 'note ' || i AS note, -1.00::numeric(10,2) AS neg_mrr"
                f" FROM generate_series(1, {rows}) i"
            )
            conn.execute(f"ALTER TABLE {SCHEMA}.{name} ADD PRIMARY KEY (id)")


def _model(api: Api, source: str, table: str) -> str:
    data_ = api.call(
        "POST",
        "/api/models",
        {
            "name": f"iso {table}",
            "connection_id": source,
            "configuration": {"table": f"{SCHEMA}.{table}"},
            "identifier": "id",
        },
    )
    return str(data_["id"])


def _sync(api: Api, model: str, connection: str, table: str, mode: str, mrr_from: str) -> str:
    def field(name: str, target: str) -> dict[str, Any]:
        return {"source": {"model_id": model, "field": name}, "target": target}

    body: dict[str, Any] = {
        "name": f"iso {uuid.uuid4().hex[:8]}",
        "mode": mode,
        "active": True,
        "schedule": {"frequency": "manual"},
        "target": {"connection_id": connection, "object": table},
        "fields": [field(mrr_from if name == "mrr" else name, name) for name in FIELDS],
    }
    if mode != "append":
        body["identities"] = {
            "mappings": [
                {
                    "source": {"model_id": model, "field": "id"},
                    "target": "id",
                    "function": "Equality",
                }
            ]
        }
    return str(api.call("POST", "/api/syncs", body)["id"])


def _execute(api: Api, sync_id: str, timeout: float) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    execution_id = api.call("POST", f"/api/syncs/{sync_id}/executions", {})["id"]
    while True:
        execution = api.call("GET", f"/api/syncs/{sync_id}/executions/{execution_id}")
        if execution["status"] in TERMINAL:
            break
        if time.perf_counter() - start > timeout:
            raise BenchError(f"execution {execution_id} still {execution['status']}")
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if execution["status"] != "completed":
        raise BenchError(f"execution ended {execution['status']}: {execution.get('errors')}")
    return seconds, execution["counts"]


def runs(targets: list[Target], modes: list[str], rows: int, timeout: float) -> list[Line]:
    """Part 2: whole runs through `syncline serve`."""
    _say(f"preparing the {rows:,}-row sources ...")
    _prepare_source(rows)
    bad = sum(1 for i in range(1, rows + 1) if _bad_kind(i) is not None)
    taken = sum(1 for i in range(1, rows + 1) if i % 100 == 37)
    cases = (
        ("clean", CLEAN_SOURCE, "mrr", 0),
        ("one_percent", SOURCE, "mrr", bad),
        ("one_percent_unique", CLEAN_SOURCE, "mrr", taken),
        ("all_bad_check", CLEAN_SOURCE, "neg_mrr", rows),
    )
    lines = []
    work = WORK_DIR / "isolation"
    work.mkdir(parents=True, exist_ok=True)
    with SynclineServer(work) as api:
        source = api.connection("iso source", "postgresql", PG_CONFIG)
        models = {name: _model(api, source, name) for name in (CLEAN_SOURCE, SOURCE)}
        for target in targets:
            config = PG_CONFIG if target.key == "pg" else MYSQL_CONFIG
            kind = "postgresql" if target.key == "pg" else "mysql"
            connection = api.connection(f"iso {target.key}", kind, config)
            for mode in modes:
                floor = None
                for case, table, mrr_from, errors in cases:
                    target_table = target.fresh_table()
                    held = 0
                    if case == "one_percent_unique":
                        target.hold_source_emails(target_table, rows)
                        held = errors
                    sync = _sync(api, models[table], connection, target_table, mode, mrr_from)
                    seconds, counts = _execute(api, sync, timeout)
                    landed = len(target.ids(target_table)) - held
                    if counts.get("error", 0) != errors or landed != rows - errors:
                        raise BenchError(
                            f"{target.key} {mode} {case}: counts {counts}, {landed} rows landed;"
                            f" want {errors} errors and {rows - errors} rows"
                        )
                    if case == "clean":
                        floor = seconds
                    limit = (
                        None
                        if case == "clean"
                        else ONE_PERCENT_LIMIT
                        if case.startswith("one_percent")
                        else ALL_BAD_LIMIT
                    )
                    line = Line("run", TARGETS[target.key], mode, case, seconds, floor, limit)
                    lines.append(line)
                    _say(_format(line))
                target.drop_all()
    return lines


# ------------------------------------------------------------------ report


def _format(line: Line) -> str:
    ratio = "" if line.ratio is None or line.case == "clean" else f"  {line.ratio:5.2f}x"
    limit = f" (limit {line.limit:.0f}x) {line.verdict()}" if line.limit is not None else ""
    return (
        f"{line.part:5} {line.target:10} {line.mode:14} {line.case:14}"
        f" {line.seconds:8.3f} s{ratio}{limit}"
    )


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=50_000, help="source rows of the runs")
    parser.add_argument("--batch", type=int, default=10_000, help="records of the timed batch")
    parser.add_argument("--repeat", type=int, default=3, help="timings per batch case (median)")
    parser.add_argument("--targets", default="pg,mariadb", help="comma-separated: pg, mariadb")
    parser.add_argument(
        "--modes", default="append,updateOrCreate", help="comma-separated: append, updateOrCreate"
    )
    parser.add_argument("--skip-batches", action="store_true", help="only the runs")
    parser.add_argument("--skip-runs", action="store_true", help="only the batches")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one run may take")
    args = parser.parse_args()
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(t not in TARGETS for t in args.targets) or any(m not in MODES for m in args.modes):
        parser.error(f"targets from {list(TARGETS)}, modes from {list(MODES)}")
    return args


def main() -> int:
    """Run the benchmark; 0 when every result checked out, 1 otherwise."""
    args = _parse()
    targets = [Target(key) for key in args.targets]
    lines: list[Line] = []
    steps: list[Callable[[], list[Line]]] = []
    if not args.skip_batches:
        steps.append(lambda: batches(targets, args.modes, args.batch, args.repeat))
    if not args.skip_runs:
        steps.append(lambda: runs(targets, args.modes, args.rows, args.timeout))
    try:
        for step in steps:
            lines += step()
    except BenchError as exc:
        _say(f"FAILED: {exc}")
        return 1
    finally:
        for target in targets:
            target.drop_all()
    print()
    print(f"Isolation benchmark: batches of {args.batch:,} records, runs of {args.rows:,} rows")
    for line in lines:
        print(_format(line))
    failed = [line for line in lines if line.verdict() == "FAIL"]
    print(
        f"\n{len(failed)} case(s) over their limit" if failed else "\nevery case within its limit"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
