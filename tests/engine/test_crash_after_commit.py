"""A crash after a target committed records, before the engine recorded it, duplicates nothing.

The run dies at the worst moment for each target (a `Crash` nothing catches):

- PostgreSQL, MariaDB and SQLite: batch 3 of 6 is committed, and the
  process dies before its journal entry is written. The target holds its
  commit marker (`_syncline_commits`), the journal holds only its intent.
- Files: the run published the file, and the process dies before the
  state is committed. The note beside the file proves the publish.

The next run must leave the model exactly once in the target: for an append
every row once, for a snapshot every row once under one snapshot time.
"""

from __future__ import annotations

import csv
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from syncline.connectors.base import TargetConnector
from syncline.connectors.files import FilesConnector
from syncline.connectors.files.config import FilesConfig
from syncline.connectors.mysql import MysqlConnector
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.sqlite import SqliteConnector
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.connectors.vocabulary import SyncMode
from syncline.engine import spill, state
from syncline.engine.run import run_sync
from syncline.engine.spec import FieldMapping, RunSpec
from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DSN,
    temporary_maria_database,
    temporary_pg_schema,
)
from tests.engine.memory import RecordingHooks

ROWS = 60
BATCH = 10
CRASHED_BATCH = 3
"""The batch (1-based) committed by the target and never journaled."""
KINDS = ("postgresql", "mysql", "sqlite", "files")
MARKERS = "_syncline_commits"


class Crash(BaseException):
    """The process dying: nothing in the engine catches it."""


@dataclass
class Target:
    """A target table or file: its connector, object id, and how to look at it."""

    connector: TargetConnector
    object_id: str
    rows: Callable[[], list[tuple[int, str | None]]]
    """(id, snapshot time as text or None) of every row."""
    markers: Callable[[str, int], int]
    """How many commit markers of a sync's batch number the target holds."""


def _pg(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def source(pg_config: dict[str, Any]) -> Iterator[tuple[PostgresqlConnector, str]]:
    with temporary_pg_schema(
        "crash_src",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text)",
        f"INSERT INTO {{schema}}.people SELECT i, 'p' || i || '@x.io'"
        f" FROM generate_series(1, {ROWS}) i",
    ) as schema:
        connector = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
        yield connector, f"{schema}.people"


def _pg_target(schema: str, pg_config: dict[str, Any]) -> Target:
    _pg(f'CREATE TABLE "{schema}".t (id bigint, email text, _syncline_snapshot_at timestamptz)')

    def markers(sync_id: str, batch: int) -> int:
        found = _pg(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            (schema, MARKERS),
        )
        if not found[0][0]:
            return 0
        sql = f'SELECT count(*) FROM "{schema}".{MARKERS} WHERE sync_id = %s AND batch = %s'
        return int(_pg(sql, (sync_id, batch))[0][0])

    return Target(
        PostgresqlConnector(PostgresqlConfig.model_validate(pg_config)),
        f"{schema}.t",
        lambda: [
            (int(i), str(at) if at else None)
            for i, at in _pg(f'SELECT id, _syncline_snapshot_at FROM "{schema}".t')
        ],
        markers,
    )


def _maria(database: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(
        host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, database=database, autocommit=True
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    finally:
        conn.close()


def _mysql_target(database: str, mysql_config: dict[str, Any]) -> Target:
    _maria(
        database,
        "CREATE TABLE t (id BIGINT, email VARCHAR(255), _syncline_snapshot_at DATETIME(6))"
        " ENGINE=InnoDB",
    )

    def markers(sync_id: str, batch: int) -> int:
        found = _maria(
            database,
            "SELECT count(*) FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
            (database, MARKERS),
        )
        if not found[0][0]:
            return 0
        sql = f"SELECT count(*) FROM {MARKERS} WHERE sync_id = %s AND batch = %s"
        return int(_maria(database, sql, (sync_id, batch))[0][0])

    return Target(
        MysqlConnector(MysqlConfig.model_validate({**mysql_config, "dbname": database})),
        f"{database}.t",
        lambda: [
            (int(i), str(at) if at else None)
            for i, at in _maria(database, "SELECT id, _syncline_snapshot_at FROM t")
        ],
        markers,
    )


def _sqlite_target(path: Path) -> Target:
    def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    query("CREATE TABLE t (id INTEGER, email TEXT, _syncline_snapshot_at TEXT)")

    def markers(sync_id: str, batch: int) -> int:
        if not query("SELECT 1 FROM sqlite_schema WHERE name = ?", (MARKERS,)):
            return 0
        sql = f"SELECT count(*) FROM {MARKERS} WHERE sync_id = ? AND batch = ?"
        return int(query(sql, (sync_id, batch))[0][0])

    return Target(
        SqliteConnector(SqliteConfig(path=str(path))),
        "main.t",
        lambda: [(int(i), at) for i, at in query("SELECT id, _syncline_snapshot_at FROM t")],
        markers,
    )


def _file_target(directory: Path) -> Target:
    path = directory / "t.csv"
    path.write_text("id,email,_syncline_snapshot_at\n")

    def rows() -> list[tuple[int, str | None]]:
        with path.open() as handle:
            return [
                (int(r["id"]), r["_syncline_snapshot_at"] or None) for r in csv.DictReader(handle)
            ]

    def markers(sync_id: str, batch: int) -> int:
        return len(list(directory.glob(".syncline-*.commit-*")))

    return Target(FilesConnector(FilesConfig(path=str(directory))), path.name, rows, markers)


@pytest.fixture
def target(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path: Path,
) -> Iterator[Target]:
    kind: str = request.param
    if kind == "postgresql":
        with temporary_pg_schema("crash_t") as schema:
            yield _pg_target(schema, pg_config)
    elif kind == "mysql":
        with temporary_maria_database("crash_t") as database:
            yield _mysql_target(database, mysql_config)
    elif kind == "sqlite":
        yield _sqlite_target(tmp_path / "target.db")
    else:
        directory = tmp_path / "files"
        directory.mkdir()
        yield _file_target(directory)


def _spec(mode: SyncMode, target: Target, source_table: str, state_dir: Path) -> RunSpec:
    return RunSpec(
        sync_id="sync-crash",
        execution_id=uuid.uuid4().hex,
        mode=mode,
        source_configuration={"table": source_table},
        mappings=(FieldMapping("id", source="id"), FieldMapping("email", source="email")),
        target_object=target.object_id,
        state_dir=state_dir,
        batch_size=BATCH,
    )


def _arm_crash(patch: pytest.MonkeyPatch, *, files: bool) -> None:
    """Kill the run in its gap: files after the publish, before the state is committed;
    databases after batch `CRASHED_BATCH` committed, before it is journaled."""
    if files:

        def commit(*args: Any, **kwargs: Any) -> None:
            raise Crash

        patch.setattr(state.StateStore, "commit", commit)
        return
    calls = {"n": 0}
    append = spill.OutcomeLog.append

    def crashing(log: spill.OutcomeLog, *arrays: Any) -> None:
        calls["n"] += 1
        if calls["n"] == CRASHED_BATCH:
            raise Crash
        append(log, *arrays)

    patch.setattr(spill.OutcomeLog, "append", crashing)


@pytest.mark.parametrize("target", KINDS, indirect=True)
@pytest.mark.parametrize("mode", [SyncMode.APPEND, SyncMode.SNAPSHOT])
def test_the_run_after_a_crash_in_the_gap_duplicates_nothing(
    target: Target,
    mode: SyncMode,
    source: tuple[PostgresqlConnector, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connector, table = source
    state_dir = tmp_path / "state"
    spec = _spec(mode, target, table, state_dir)
    files = target.object_id == "t.csv"
    with monkeypatch.context() as patch:
        _arm_crash(patch, files=files)
        with pytest.raises(Crash):
            run_sync(spec, connector, target.connector, RecordingHooks())

    # What the crash left: the records are in the target, the journal does not say so.
    written = len(target.rows())
    number = -1 if files else CRASHED_BATCH - 1
    marked = target.markers(spec.sync_id, number)
    journal = {path.name for path in (state_dir / "journal").rglob("0*")}
    expected_written = ROWS if files else CRASHED_BATCH * BATCH

    hooks = RecordingHooks()
    run_sync(_spec(mode, target, table, state_dir), connector, target.connector, hooks)

    rows = target.rows()
    ids = Counter(row_id for row_id, _ in rows)
    assert ids == Counter(range(1, ROWS + 1)), f"{len(rows) - ROWS} rows duplicated after the crash"
    if mode is SyncMode.SNAPSHOT:
        assert len({at for _, at in rows}) == 1
    assert written == expected_written
    assert marked == 1
    if not files:
        assert f"{number:08d}.intent" in journal
        assert f"{number:08d}.parquet" not in journal
    assert any("recovered" in message for _, message in hooks.logs)
