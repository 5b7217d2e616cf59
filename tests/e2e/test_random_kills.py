"""`syncline serve` killed (SIGKILL) at random points of its runs loses and repeats nothing.

For PostgreSQL and for MariaDB targets, one sync per mode (create, update,
updateOrCreate, append, remove, replace, snapshot) reads the same
PostgreSQL table into a table of its own. Each round starts a run of every
sync at once, picks one mode and a point of its progress at random, waits
until that run's target shows it (rows written, updated, removed, staged:
observed in the target, never timed), and kills the server. The next round
restarts the server on the same data directory, which recovers first. The
source grows by `GROW` rows before every round after the first, so every
mode has records left to write in every round. After the rounds, the source
grows once more and a last run of every sync must complete and leave each
target exactly as uninterrupted runs would: compared with the source by
count, distinct keys and a checksum over every column (an append holds
every row once; every snapshot in the target holds the model, as it was
when the snapshot was taken, once; an update updated every row; a remove
leaves only the rows the model never had).

Kill points are reproducible: set `SYNCLINE_KILL_SEED` (the seed is printed,
and named in every failure). The default run kills `DEFAULT_ROUNDS` times per
target; `SYNCLINE_MANY_KILLS=<rounds>` with `-m many_kills` runs the longer
version:

    SYNCLINE_MANY_KILLS=20 ./scripts/test.sh tests/e2e/test_random_kills.py -m many_kills -s
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DSN,
    temporary_maria_database,
    temporary_pg_schema,
)
from tests.e2e.conftest import API_KEY, serve_process
from tests.e2e.serve_api import ServeApi

pytestmark = pytest.mark.e2e

START = 2000
"""Rows of the source before the first round."""
GROW = 400
"""Rows added to the source before each later round and before the last run."""
BATCH = 200
EXTRA = 200
"""Rows only the remove mode's target has: they must survive every run."""
JUNK = 100
"""Rows the replace mode's target has before its first run: they must go."""
MODES = ("create", "update", "updateOrCreate", "append", "remove", "replace", "snapshot")
IDENTIFIED = {"create", "update", "updateOrCreate", "remove"}
DEFAULT_ROUNDS = 3
WAIT = 120.0
Row = tuple[int, str, str]


def _seed() -> int:
    text = os.environ.get("SYNCLINE_KILL_SEED")
    return int(text) if text else random.SystemRandom().randrange(1, 2**31)


SEED = _seed()
"""One seed for the module; each target kind draws from its own `random.Random`."""


def _source_row(i: int) -> Row:
    return (i, f"name {i}", f"{(i * 37) % 10000 / 4:.2f}")


def _source(size: int) -> list[Row]:
    """The source's rows when it holds `size` of them."""
    return [_source_row(i) for i in range(1, size + 1)]


# ------------------------------------------------------------ the databases


class Database:
    """A target schema (PostgreSQL) or database (MariaDB): plain SQL on it."""

    kind: str
    name: str

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        return f'"{name}"' if self.kind == "postgresql" else f"`{name}`"

    def table(self, name: str) -> str:
        return f"{self.quote(self.name)}.{self.quote(name)}"

    def create(self, name: str, *, keyed: bool, snapshot: bool = False) -> None:
        key = " PRIMARY KEY" if keyed else ""
        if self.kind == "postgresql":
            extra = ", _syncline_snapshot_at timestamptz" if snapshot else ""
            ddl = f"(id bigint{key}, name text, amount numeric(10,2){extra})"
        else:
            extra = ", _syncline_snapshot_at DATETIME(6)" if snapshot else ""
            ddl = f"(id BIGINT{key}, name VARCHAR(255), amount DECIMAL(10,2){extra}) ENGINE=InnoDB"
        self.run(f"CREATE TABLE {self.table(name)} {ddl}")

    def insert(self, name: str, rows: list[Row]) -> None:
        for start in range(0, len(rows), 1000):
            values = ", ".join(f"({i}, '{n}', {a})" for i, n, a in rows[start : start + 1000])
            self.run(f"INSERT INTO {self.table(name)} (id, name, amount) VALUES {values}")

    def rows(self, name: str, *extra: str) -> list[tuple[Any, ...]]:
        columns = ", ".join(["id", "name", "amount", *extra])
        return self.run(f"SELECT {columns} FROM {self.table(name)}")

    def count(self, name: str, where: str = "") -> int:
        sql = f"SELECT count(*) FROM {self.table(name)}" + (f" WHERE {where}" if where else "")
        return int(self.run(sql)[0][0])

    def stages(self, name: str) -> dict[str, int]:
        """The replace staging tables of `name` and their row counts."""
        if self.kind == "postgresql":
            sql = (
                "SELECT tablename FROM pg_tables WHERE schemaname = '{s}'"
                " AND tablename LIKE '{t}\\_\\_syncline\\_stage\\_%'"
            )
        else:
            sql = (
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{s}'"
                " AND TABLE_NAME LIKE '{t}\\_\\_syncline\\_stage\\_%'"
            )
        found = [row[0] for row in self.run(sql.format(s=self.name, t=name))]
        counts = {}
        for stage in found:
            try:
                counts[stage] = self.count(stage)
            except (psycopg.Error, pymysql.err.MySQLError):
                continue  # dropped meanwhile
        return counts


class Postgres(Database):
    kind = "postgresql"

    def __init__(self, name: str) -> None:
        self.name = name
        self._conn = psycopg.connect(PG_DSN, autocommit=True)

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(sql)  # type: ignore[call-overload]
        return list(cursor.fetchall()) if cursor.description else []

    def close(self) -> None:
        self._conn.close()


class Maria(Database):
    kind = "mysql"

    def __init__(self, name: str) -> None:
        self.name = name
        self._conn = pymysql.connect(
            host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True
        )

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def close(self) -> None:
        self._conn.close()


def _normal(row: tuple[Any, ...]) -> Row:
    return (int(row[0]), str(row[1]), f"{Decimal(row[2]):.2f}")


def _checksum(rows: list[Row]) -> str:
    return hashlib.md5(repr(sorted(rows)).encode()).hexdigest()  # noqa: S324


# ------------------------------------------------------------ the modes


@dataclass
class ModeTarget:
    """One mode's target table: how to set it up, read its progress, and check it.

    `total` is the size the source reaches at the last run; `size` its size now.
    """

    mode: str
    db: Database
    total: int
    size: int = START
    stages_before: set[str] = field(default_factory=set)
    rows_before: int = 0
    baseline: int = 0

    @property
    def name(self) -> str:
        return self.mode.lower()

    def prepare(self) -> None:
        db, name = self.db, self.name
        db.create(name, keyed=self.mode in IDENTIFIED, snapshot=self.mode == "snapshot")
        if self.mode == "update":
            db.insert(name, [(i, "old", "0.00") for i in range(1, self.total + 1)])
        elif self.mode == "updateOrCreate":
            db.insert(name, [(i, "old", "0.00") for i in range(1, self.total + 1, 2)])
        elif self.mode == "remove":
            db.insert(name, [*_source(self.total), *self.extra()])
        elif self.mode == "replace":
            db.insert(name, [(-i, "junk", "0.00") for i in range(1, JUNK + 1)])

    def extra(self) -> list[Row]:
        return [_source_row(i) for i in range(self.total + 1, self.total + EXTRA + 1)]

    def round_starts(self, size: int) -> None:
        """Note where the target stands, so `progress` counts this round's run only."""
        self.size = size
        self.stages_before = set(self.db.stages(self.name)) if self.mode == "replace" else set()
        self.rows_before = self.db.count(self.name)
        self.baseline = 0
        self.baseline = self.progress()

    @property
    def remaining(self) -> int:
        """About how many records this round's run has to apply."""
        if self.mode in ("replace", "snapshot"):
            return self.size
        return self.size - self.baseline

    def progress(self) -> int:
        """How many records the target shows this round's run applied."""
        return self._applied() - self.baseline

    def _applied(self) -> int:
        db, name = self.db, self.name
        if self.mode in ("update", "updateOrCreate"):
            return db.count(name, "name <> 'old'")
        if self.mode == "remove":
            return self.total + EXTRA - db.count(name)
        if self.mode == "replace":
            fresh = [n for stage, n in db.stages(name).items() if stage not in self.stages_before]
            return max(fresh, default=0)
        if self.mode == "snapshot":
            return db.count(name) - self.rows_before
        return db.count(name)

    def problems(self, sizes: list[int]) -> list[str]:
        """How the target differs from what uninterrupted runs leave; `sizes` are the
        sizes the source had."""
        if self.mode != "snapshot":
            expected = self.extra() if self.mode == "remove" else _source(self.total)
            return _differences([_normal(row) for row in self.db.rows(self.name)], expected)
        groups: dict[Any, list[Row]] = {}
        for row in self.db.rows(self.name, "_syncline_snapshot_at"):
            groups.setdefault(row[3], []).append(_normal(row))
        if not groups:
            return ["no snapshot at all"]
        found = []
        for stamp, group in sorted(groups.items()):
            # A snapshot holds the model as it was once: the source at one of its sizes.
            size = min((n for n in sizes if n >= len(group)), default=max(sizes))
            found += [f"snapshot {stamp}: {p}" for p in _differences(group, _source(size))]
        return found


def _differences(actual: list[Row], expected: list[Row]) -> list[str]:
    """Count, distinct keys and checksum of `actual` against `expected`, explained."""
    have, want = Counter(actual), Counter(expected)
    duplicated = sum((have - want).values())
    lost = sum((want - have).values())
    found = []
    if len(actual) != len(expected):
        found.append(f"{len(actual)} rows, expected {len(expected)}")
    if len({row[0] for row in actual}) != len({row[0] for row in expected}):
        found.append(f"{len({row[0] for row in actual})} distinct ids, expected {len(expected)}")
    if _checksum(actual) != _checksum(expected):
        found.append(f"checksum differs: {duplicated} rows extra or duplicated, {lost} lost")
    return found


# ------------------------------------------------------------ the server


def _ended(execution: dict[str, Any]) -> bool:
    return execution["status"] in ("completed", "failed", "canceled", "interrupted")


@dataclass
class Kill:
    """One kill: the mode and threshold that chose the moment (records its run applied),
    and how many records every run had applied then."""

    round: int
    mode: str
    threshold: int
    reached: bool
    positions: dict[str, int]
    remaining: dict[str, int]
    """What each run had left to apply when the round started."""


@dataclass
class Suite:
    """One target kind's source and targets, the server's data directory, the syncs and
    the kills so far."""

    kind: str
    db: Database
    source: Postgres
    data_dir: Path
    env: dict[str, str]
    targets: dict[str, ModeTarget] = field(default_factory=dict)
    syncs: dict[str, str] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    """The sizes the source had, in order."""

    @property
    def source_table(self) -> str:
        return f"{self.source.name}.people"

    def prepare(self, rounds: int) -> None:
        """The source at `START` rows and every mode's target, for `rounds` rounds."""
        total = START + GROW * rounds
        self.source.create("people", keyed=True)
        self.grow(START)
        self.targets = {mode: ModeTarget(mode, self.db, total) for mode in MODES}
        for target in self.targets.values():
            target.prepare()

    def grow(self, to: int) -> None:
        """Add the source's rows up to `to`."""
        size = self.sizes[-1] if self.sizes else 0
        self.source.insert("people", [_source_row(i) for i in range(size + 1, to + 1)])
        self.sizes.append(to)

    def report(self, seed: int) -> str:
        lines = [f"seed {seed} ({self.kind}): {len(self.kills)} kills"]
        for kill in self.kills:
            where = ", ".join(f"{mode} {n}" for mode, n in kill.positions.items())
            trigger = "reached" if kill.reached else "run ended first"
            lines.append(
                f"  round {kill.round}: kill at {kill.mode} >= {kill.threshold} ({trigger});"
                f" progress then: {where}"
            )
        for mode in MODES:
            where = Counter(_stage(k.positions[mode], k.remaining[mode]) for k in self.kills)
            told = ", ".join(f"{n} {stage}" for stage, n in sorted(where.items()))
            lines.append(f"  {mode}: {len(self.kills)} kills ({told})")
        return "\n".join(lines)


def _stage(applied: int, remaining: int) -> str:
    """Where a run was when killed, by what its target showed."""
    if remaining == 0:
        return "with nothing left to apply"
    if applied <= 0:
        return "before any batch"
    if applied >= remaining:
        return "after every batch"
    return "mid-run"


def _configure(
    suite: Suite, api: ServeApi, pg_config: dict[str, Any], target_config: dict[str, Any]
) -> None:
    """Connections, the model and one sync per mode, through the API."""
    source = api.create(
        "/api/connections", {"name": "source", "type": "postgresql", "configuration": pg_config}
    )["id"]
    target = api.create(
        "/api/connections",
        {"name": "target", "type": suite.kind, "configuration": target_config},
    )["id"]
    model = api.create(
        "/api/models",
        {"name": "people", "connection_id": source, "configuration": {"table": suite.source_table}},
    )["id"]
    for mode, mode_target in suite.targets.items():
        field_of = {"model_id": model, "field": "id"}
        body: dict[str, Any] = {
            "name": f"{mode} kills",
            "mode": mode,
            "active": True,
            "schedule": {"frequency": "manual"},
            "target": {
                "connection_id": target,
                "object": f"{suite.db.name}.{mode_target.name}",
            },
            "fields": [
                {"source": {"model_id": model, "field": name}, "target": name}
                for name in ("id", "name", "amount")
            ],
        }
        if mode in IDENTIFIED:
            body["identities"] = {
                "mappings": [{"source": field_of, "target": "id", "function": "Equality"}]
            }
        suite.syncs[mode] = api.create("/api/syncs", body)["id"]


def _fraction(rng: random.Random) -> float:
    """Where to kill, as a part of what the run has left: at once, once all of it is
    visible, or anywhere between."""
    draw = rng.random()
    if draw < 0.1:
        return 0.0
    if draw < 0.2:
        return 1.0
    return rng.random()


def _kill_round(
    suite: Suite, rng: random.Random, number: int, configure: Callable[[ServeApi], None] | None
) -> None:
    """Start a run of every sync, kill the server once the chosen run got as far as drawn
    (`configure` first sets the syncs up, on the first round)."""
    mode, fraction = rng.choice(MODES), _fraction(rng)
    if number > 1:
        suite.grow(suite.sizes[-1] + GROW)
    with serve_process(suite.data_dir, **suite.env) as served:
        api = ServeApi(served.url)
        try:
            if configure is not None:
                configure(api)
            for target in suite.targets.values():
                target.round_starts(suite.sizes[-1])
            chosen = suite.targets[mode]
            threshold = math.ceil(fraction * chosen.remaining)
            started = {m: api.start(sync_id) for m, sync_id in suite.syncs.items()}
            reached = threshold == 0
            checked = time.monotonic()
            while not reached:
                if chosen.progress() >= threshold:
                    reached = True
                    break
                if time.monotonic() - checked > 0.2:
                    checked = time.monotonic()
                    if _ended(api.execution(suite.syncs[mode], started[mode])):
                        break
            served.process.kill()
            served.process.wait(timeout=30)
        finally:
            api.close()
    positions = {m: target.progress() for m, target in suite.targets.items()}
    remaining = {m: target.remaining for m, target in suite.targets.items()}
    suite.kills.append(Kill(number, mode, threshold, reached, positions, remaining))


def _final_runs(suite: Suite) -> dict[str, dict[str, Any]]:
    """Run every sync to its end on a fresh server; the executions."""
    with serve_process(suite.data_dir, **suite.env) as served:
        api = ServeApi(served.url)
        try:
            started = {m: api.start(sync_id) for m, sync_id in suite.syncs.items()}
            deadline = time.monotonic() + WAIT
            ended: dict[str, dict[str, Any]] = {}
            while len(ended) < len(started):
                assert time.monotonic() < deadline, (
                    f"runs did not end: {sorted(set(started) - set(ended))}"
                )
                for mode, execution_id in started.items():
                    if mode not in ended:
                        execution = api.execution(suite.syncs[mode], execution_id)
                        if _ended(execution):
                            ended[mode] = execution
                time.sleep(0.1)
            return ended
        finally:
            api.close()


@pytest.fixture(params=["postgresql", "mysql"])
def suite(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path: Path,
) -> Iterator[tuple[Suite, dict[str, Any]]]:
    kind: str = request.param
    root = tmp_path / "root"
    root.mkdir()
    env = {
        "SYNCLINE_API_KEY": API_KEY,
        "SYNCLINE_DEMO": "false",
        "SYNCLINE_LOCAL_ROOTS": str(root),
        "SYNCLINE_WORKERS": str(len(MODES)),
        "SYNCLINE_BATCH_SIZE": str(BATCH),
    }
    with temporary_pg_schema("kills_src") as source_schema:
        source = Postgres(source_schema)
        try:
            if kind == "postgresql":
                with temporary_pg_schema("kills_pg") as schema:
                    db: Database = Postgres(schema)
                    try:
                        yield Suite(kind, db, source, tmp_path / "data", env), pg_config
                    finally:
                        db.close()
            else:
                with temporary_maria_database("kills_my") as name:
                    db = Maria(name)
                    try:
                        config = {**mysql_config, "dbname": name}
                        yield Suite(kind, db, source, tmp_path / "data", env), config
                    finally:
                        db.close()
        finally:
            source.close()


def _kill_and_check(
    suite: Suite, target_config: dict[str, Any], pg_config: dict[str, Any], rounds: int
) -> None:
    seed = SEED
    rng = random.Random(f"{seed}-{suite.kind}")
    suite.prepare(rounds)
    print(f"\nrandom kills: seed {seed} (SYNCLINE_KILL_SEED={seed} repeats them)")

    def configure(api: ServeApi) -> None:
        _configure(suite, api, pg_config, target_config)

    for number in range(1, rounds + 1):
        _kill_round(suite, rng, number, configure if number == 1 else None)
    suite.grow(suite.sizes[-1] + GROW)
    executions = _final_runs(suite)
    report = suite.report(seed)
    print(report)
    failed = {m: e["status"] for m, e in executions.items() if e["status"] != "completed"}
    assert not failed, f"final runs not completed: {failed}\n{report}"
    problems = {m: t.problems(suite.sizes) for m, t in suite.targets.items()}
    for mode, found in problems.items():
        print(f"  {mode}: {'exact' if not found else '; '.join(found)}")
    wrong = {m: p for m, p in problems.items() if p}
    assert not wrong, f"targets differ from one uninterrupted run: {wrong}\n{report}"


def test_killed_servers_leave_every_mode_s_target_exact(
    suite: tuple[Suite, dict[str, Any]], pg_config: dict[str, Any]
) -> None:
    made, config = suite
    _kill_and_check(made, config, pg_config, DEFAULT_ROUNDS)


@pytest.mark.many_kills
# Hundreds of rounds outlast the suite's per-test timeout; WAIT still bounds every step.
@pytest.mark.timeout(0)
@pytest.mark.skipif(
    not os.environ.get("SYNCLINE_MANY_KILLS"),
    reason="set SYNCLINE_MANY_KILLS=<rounds> to kill the server that many times per target",
)
def test_many_killed_servers_leave_every_mode_s_target_exact(
    suite: tuple[Suite, dict[str, Any]], pg_config: dict[str, Any]
) -> None:
    made, config = suite
    _kill_and_check(made, config, pg_config, int(os.environ.get("SYNCLINE_MANY_KILLS", "0")))
