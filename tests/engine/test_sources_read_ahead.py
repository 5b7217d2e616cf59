"""Every source type feeds the engine from its read-ahead thread (SQLite, files, PostgreSQL, MySQL).

A source's connection is opened by the engine's thread and read by the
prefetch thread; drivers that tie a connection to its thread must allow it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.base import SourceConnector
from syncline.connectors.files import FilesConnector
from syncline.connectors.files.config import FilesConfig
from syncline.connectors.mysql import MysqlConnector
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.sqlite import SqliteConnector
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.engine.run import run_sync
from tests.conftest import temporary_maria_database, temporary_pg_schema
from tests.engine.memory import MemoryTarget, RecordingHooks
from tests.engine.support import make_spec

ROWS = 25  # several batches of 2


def _sqlite(tmp_path: Path, **_: Any) -> tuple[SourceConnector, dict[str, Any]]:
    path = tmp_path / "people.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)")
        db.executemany(
            "INSERT INTO people VALUES (?, ?, ?)", [(n, f"p{n}", n) for n in range(ROWS)]
        )
    db.close()
    return SqliteConnector(SqliteConfig(path=str(path))), {"table": "main.people"}


def _files(tmp_path: Path, **_: Any) -> tuple[SourceConnector, dict[str, Any]]:
    lines = ["id,name,age", *(f"{n},p{n},{n}" for n in range(ROWS))]
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n")
    return FilesConnector(FilesConfig(path=str(tmp_path))), {"file": "people.csv"}


SOURCES: dict[str, Callable[..., tuple[SourceConnector, dict[str, Any]]]] = {
    "sqlite": _sqlite,
    "files": _files,
}


@pytest.mark.parametrize("kind", [*SOURCES, "postgresql", "mysql"])
def test_a_source_is_read_through_the_read_ahead_thread(
    kind: str, tmp_path: Path, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> None:
    if kind == "postgresql":
        with temporary_pg_schema(
            "ahead",
            "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, name text, age bigint)",
            "INSERT INTO {schema}.people SELECT n, 'p' || n, n"
            f" FROM generate_series(0, {ROWS - 1}) n",
        ) as schema:
            source = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
            _check(source, {"table": f"{schema}.people"}, tmp_path)
        return
    if kind == "mysql":
        with temporary_maria_database(
            "ahead",
            "CREATE TABLE {database}.people (id bigint PRIMARY KEY, name text, age bigint)",
            *(f"INSERT INTO {{database}}.people VALUES ({n}, 'p{n}', {n})" for n in range(ROWS)),
        ) as database:
            config = MysqlConfig.model_validate({**mysql_config, "dbname": database})
            _check(MysqlConnector(config), {"table": f"{database}.people"}, tmp_path)
        return
    source, configuration = SOURCES[kind](tmp_path)
    _check(source, configuration, tmp_path)


def _check(source: SourceConnector, configuration: dict[str, Any], tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "state", source_configuration=configuration)
    target = MemoryTarget()
    counts = run_sync(spec, source, target, RecordingHooks())
    assert counts.insert == ROWS
    assert sorted(row["id"] for row in target.rows) == list(range(ROWS))
