"""Every mode, end to end through the engine, from PostgreSQL into every target type.

A source table is synced, changed (updates, inserts, deletes), and synced
again; the target must then hold exactly what the mode promises, compared
row by row. Targets: PostgreSQL, MariaDB, SQLite and a CSV file.
"""

from __future__ import annotations

import csv
import sqlite3
import uuid
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
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunOptions, RunSpec
from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DATABASE,
    PG_HOST,
    PG_PORT,
    PG_USER,
)
from tests.engine.memory import RecordingHooks

PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"
Row = tuple[int, str]


def pg(sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def source_schema() -> Iterator[str]:
    schema = f"modes_{uuid.uuid4().hex[:8]}"
    pg(f'CREATE SCHEMA "{schema}"')
    yield schema
    pg(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass
class Target:
    """One target object on one kind of target, and how to read it back."""

    connector: TargetConnector
    object_id: str
    read: Callable[[], list[tuple[Any, ...]]]
    seed: Callable[[list[Row]], None]


def _pg_target(name: str, schema: str, pg_config: dict[str, Any], keyed: bool) -> Target:
    table = f'"{schema}"."{name}"'
    key = " PRIMARY KEY" if keyed else ""
    pg(f"CREATE TABLE {table} (id bigint{key}, email text, _syncline_snapshot_at timestamptz)")

    def seed(rows: list[Row]) -> None:
        for row_id, email in rows:
            pg(f"INSERT INTO {table} (id, email) VALUES ({row_id}, '{email}')")

    return Target(
        PostgresqlConnector(PostgresqlConfig.model_validate(pg_config)),
        f"{schema}.{name}",
        lambda: pg(f"SELECT id, email FROM {table} ORDER BY id, email"),
        seed,
    )


def _mysql_target(name: str, database: str, mysql_config: dict[str, Any], keyed: bool) -> Target:
    def run(sql: str) -> list[tuple[Any, ...]]:
        conn = pymysql.connect(
            host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, database=database, autocommit=True
        )
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = list(cur.fetchall())
        conn.close()
        return rows

    key = " PRIMARY KEY" if keyed else ""
    run(
        f"CREATE TABLE `{name}` (id BIGINT{key}, email VARCHAR(255),"
        " _syncline_snapshot_at DATETIME(6))"
    )

    def seed(rows: list[Row]) -> None:
        for row_id, email in rows:
            run(f"INSERT INTO `{name}` (id, email) VALUES ({row_id}, '{email}')")

    return Target(
        MysqlConnector(MysqlConfig.model_validate({**mysql_config, "dbname": database})),
        f"{database}.{name}",
        lambda: [
            (int(r[0]), r[1]) for r in run(f"SELECT id, email FROM `{name}` ORDER BY id, email")
        ],
        seed,
    )


def _sqlite_target(name: str, path: Path, keyed: bool) -> Target:
    key = " PRIMARY KEY" if keyed else ""
    with sqlite3.connect(path) as conn:
        conn.execute(
            f'CREATE TABLE "{name}" (id INTEGER{key}, email TEXT, _syncline_snapshot_at TEXT)'
        )
    conn.close()

    def read() -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as db:
            rows = db.execute(f'SELECT id, email FROM "{name}" ORDER BY id, email').fetchall()
        db.close()
        return rows

    def seed(rows: list[Row]) -> None:
        with sqlite3.connect(path) as db:
            db.executemany(f'INSERT INTO "{name}" (id, email) VALUES (?, ?)', rows)
        db.close()

    return Target(SqliteConnector(SqliteConfig(path=str(path))), f"main.{name}", read, seed)


def _file_target(name: str, directory: Path) -> Target:
    path = directory / f"{name}.csv"
    path.write_text("id,email,_syncline_snapshot_at\n")

    def read() -> list[tuple[Any, ...]]:
        with path.open() as handle:
            return sorted((int(r["id"]), r["email"]) for r in csv.DictReader(handle))

    def seed(rows: list[Row]) -> None:
        with path.open("a") as handle:
            for row_id, email in rows:
                handle.write(f"{row_id},{email},\n")

    return Target(FilesConnector(FilesConfig(path=str(directory))), path.name, read, seed)


KINDS = ("postgresql", "mysql", "sqlite", "files")


@pytest.fixture
def make_target(
    request: pytest.FixtureRequest,
    source_schema: str,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path: Path,
) -> Iterator[Callable[[str, bool], Target]]:
    database = f"modes_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}`")
    kind: str = request.param

    def make(name: str, keyed: bool) -> Target:
        if kind == "postgresql":
            return _pg_target(name, source_schema, pg_config, keyed)
        if kind == "mysql":
            return _mysql_target(name, database, mysql_config, keyed)
        if kind == "sqlite":
            return _sqlite_target(name, tmp_path / "target.db", keyed)
        return _file_target(name, tmp_path)

    yield make
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE `{database}`")
    admin.close()


def _source(schema: str, rows: list[Row]) -> tuple[str, dict[str, str]]:
    name = f"src_{uuid.uuid4().hex[:6]}"
    pg(f'CREATE TABLE "{schema}"."{name}" (id bigint PRIMARY KEY, email text)')
    _replace_source(schema, name, rows)
    return name, {"table": f"{schema}.{name}"}


def _replace_source(schema: str, name: str, rows: list[Row]) -> None:
    pg(f'DELETE FROM "{schema}"."{name}"')
    if rows:
        values = ", ".join(f"({i}, '{e}')" for i, e in rows)
        pg(f'INSERT INTO "{schema}"."{name}" VALUES {values}')


FIRST: list[Row] = [(i, f"v1-{i}@x.io") for i in range(1, 51)]
SECOND: list[Row] = [
    (i, f"v2-{i}@x.io" if i <= 5 else f"v1-{i}@x.io") for i in range(1, 51) if i != 50
] + [(51, "v1-51@x.io"), (52, "v1-52@x.io")]


def _run(
    mode: SyncMode,
    target: Target,
    source_config: dict[str, str],
    pg_config: dict[str, Any],
    state: Path,
    *,
    identity: bool,
    options: RunOptions | None = None,
) -> Counts:
    spec = RunSpec(
        sync_id="sync",
        execution_id=uuid.uuid4().hex,
        mode=mode,
        source_configuration=source_config,
        mappings=(
            FieldMapping(target="id", source="id"),
            FieldMapping(target="email", source="email"),
        ),
        target_object=target.object_id,
        state_dir=state,
        identity=(IdentityPair("id", "id"),) if identity else (),
        options=options or RunOptions(),
        batch_size=16,
    )
    source = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
    return run_sync(spec, source, target.connector, RecordingHooks())


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_update_or_create_upserts_and_keeps_rows_gone_from_the_source(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("upsert", True)
    name, config = _source(source_schema, FIRST)
    first = _run(
        SyncMode.UPDATE_OR_CREATE, target, config, pg_config, tmp_path / "s", identity=True
    )
    assert (first.insert, first.update) == (50, 0)
    assert target.read() == FIRST
    _replace_source(source_schema, name, SECOND)
    second = _run(
        SyncMode.UPDATE_OR_CREATE, target, config, pg_config, tmp_path / "s", identity=True
    )
    assert (second.insert, second.update, second.delete) == (2, 5, 0)
    assert target.read() == sorted([*SECOND, (50, "v1-50@x.io")])


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_create_inserts_only_new_identities(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("create", True)
    name, config = _source(source_schema, FIRST)
    _run(SyncMode.CREATE, target, config, pg_config, tmp_path / "s", identity=True)
    _replace_source(source_schema, name, SECOND)
    second = _run(SyncMode.CREATE, target, config, pg_config, tmp_path / "s", identity=True)
    assert second.insert == 2
    assert second.update == 0
    assert target.read() == sorted([*FIRST, (51, "v1-51@x.io"), (52, "v1-52@x.io")])


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_update_changes_only_existing_records(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("update", True)
    target.seed([(i, "stale") for i in range(1, 11)])
    _, config = _source(source_schema, FIRST)
    counts = _run(SyncMode.UPDATE, target, config, pg_config, tmp_path / "s", identity=True)
    assert counts.update == 10
    assert counts.insert == 0
    assert counts.warnings == 40
    assert target.read() == FIRST[:10]


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_replace_leaves_exactly_the_model_rows(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("replace", True)
    target.seed([(999, "old")])
    name, config = _source(source_schema, FIRST)
    _run(SyncMode.REPLACE, target, config, pg_config, tmp_path / "s", identity=False)
    assert target.read() == FIRST
    _replace_source(source_schema, name, SECOND)
    _run(SyncMode.REPLACE, target, config, pg_config, tmp_path / "s", identity=False)
    assert target.read() == sorted(SECOND)


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_replace_refuses_to_empty_a_target_unless_resync(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("replace_empty", True)
    target.seed([(1, "keep me")])
    _, config = _source(source_schema, [])
    with pytest.raises(Exception, match="0"):
        _run(SyncMode.REPLACE, target, config, pg_config, tmp_path / "s", identity=False)
    assert target.read() == [(1, "keep me")]
    _run(
        SyncMode.REPLACE,
        target,
        config,
        pg_config,
        tmp_path / "s",
        identity=False,
        options=RunOptions(resync=True),
    )
    assert target.read() == []


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_append_adds_new_and_changed_records(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("append", False)
    name, config = _source(source_schema, FIRST)
    _run(SyncMode.APPEND, target, config, pg_config, tmp_path / "s", identity=False)
    _replace_source(source_schema, name, SECOND)
    second = _run(SyncMode.APPEND, target, config, pg_config, tmp_path / "s", identity=False)
    assert second.insert == 7
    changed = [r for r in SECOND if r not in FIRST]
    assert target.read() == sorted([*FIRST, *changed])


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_remove_deletes_matching_records(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("remove", True)
    target.seed([(i, f"t{i}") for i in (1, 2, 3, 100)])
    _, config = _source(source_schema, FIRST[:2])
    counts = _run(SyncMode.REMOVE, target, config, pg_config, tmp_path / "s", identity=True)
    assert counts.delete == 2
    assert target.read() == [(3, "t3"), (100, "t100")]


@pytest.mark.parametrize("make_target", KINDS, indirect=True)
def test_snapshot_appends_the_whole_model_each_run(
    make_target: Callable[[str, bool], Target],
    source_schema: str,
    pg_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    target = make_target("snapshot", False)
    _, config = _source(source_schema, FIRST[:5])
    _run(SyncMode.SNAPSHOT, target, config, pg_config, tmp_path / "s", identity=False)
    _run(SyncMode.SNAPSHOT, target, config, pg_config, tmp_path / "s", identity=False)
    assert target.read() == sorted(FIRST[:5] * 2)
