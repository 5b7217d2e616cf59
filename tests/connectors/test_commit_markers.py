"""Commit markers of SQL targets (`_syncline_commits`), on PostgreSQL, MariaDB and SQLite.

A writer with a plan `mark` records, in each transaction that commits
records, which execution wrote which batch and each applied record's
result; the target's ledger reads them back. The table is Syncline's own:
created only by a writer that marks, quoted like any name, never offered as
a target, and each sync's rows are its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import CommitMark, CommitMarking, CommittedBatch
from syncline.errors import ObjectNotFound, ValidationFailed
from tests.conftest import PG_DSN, temporary_maria_database
from tests.connectors.sql_fixtures import make_connector, unique_name
from tests.connectors.sql_writer_fixtures import (
    DIALECTS,
    INS,
    UPD,
    Db,
    Table,
    batch_of,
    database,
    plan_for,
)

MARKERS = "_syncline_commits"


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("m")) as db:
        yield db


def people(*ids: int, name: str | None = "x") -> dict[str, list[Any]]:
    return {"id": list(ids), "name": [name] * len(ids), "score": [1] * len(ids)}


def write(db: Db, table: Table, mode: SyncMode, sync: str, execution: str, *batches: Any) -> None:
    plan = plan_for(table, mode, mark=CommitMark(sync, execution))
    with db.connector.open_writer(plan) as writer:
        assert writer.commit_marking is CommitMarking.BATCH
        for number, batch in enumerate(batches):
            writer.write(batch_of(plan, batch), number)
        writer.finish()


def committed(db: Db, table: Table, sync: str, *executions: str) -> list[CommittedBatch]:
    found = db.connector.commit_ledger(table.id).committed(sync, list(executions))
    return sorted(found, key=lambda b: (b.execution_id, b.batch, b.outcomes))


def has_markers_table(db: Db) -> bool:
    return MARKERS in {name for (name,) in _table_names(db)}


def _table_names(db: Db) -> list[tuple[Any, ...]]:
    if db.type_id == "postgresql":
        return db.execute(f"SELECT tablename FROM pg_tables WHERE schemaname = '{db.schema}'")
    if db.type_id == "mysql":
        return db.execute(
            f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.schema}'"
        )
    return db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")


def test_each_batch_commits_its_marker_with_each_record_s_result(db: Db) -> None:
    table = db.table()  # people 1, 2, 3
    write(db, table, SyncMode.UPDATE_OR_CREATE, "s", "e1", people(1, 4), people(5))
    assert committed(db, table, "s", "e1") == [
        CommittedBatch("e1", 0, ((0, 1, UPD), (1, 1, INS))),
        CommittedBatch("e1", 1, ((0, 1, INS),)),
    ]


def test_a_bisected_batch_marks_each_committed_part_but_never_the_rejected_record(
    db: Db,
) -> None:
    table = db.table(rows=None)
    # The record at index 2 has no name: NOT NULL refuses it, the others land.
    batch = {"id": [1, 2, 3, 4], "name": ["a", "b", None, "d"], "score": [1, 2, 3, 4]}
    write(db, table, SyncMode.APPEND, "s", "e1", batch)
    indexes = sorted(
        index
        for marker in committed(db, table, "s", "e1")
        for first, count, result in marker.outcomes
        for index in range(first, first + count)
        if result is INS
    )
    assert indexes == [0, 1, 3]
    assert [row[0] for row in db.rows(table)] == [1, 2, 4]


def test_each_sync_reads_and_prunes_only_its_own_markers(db: Db) -> None:
    table = db.table(rows=None)
    write(db, table, SyncMode.APPEND, "sync-a", "a1", people(1))
    write(db, table, SyncMode.APPEND, "sync-b", "b1", people(2))
    assert committed(db, table, "sync-a", "a1", "b1") == [CommittedBatch("a1", 0, ((0, 1, INS),))]

    # A's next run removes A's earlier markers (read back by then), never B's.
    write(db, table, SyncMode.APPEND, "sync-a", "a2", people(3))
    assert committed(db, table, "sync-a", "a1", "a2") == [CommittedBatch("a2", 0, ((0, 1, INS),))]
    assert committed(db, table, "sync-b", "b1") == [CommittedBatch("b1", 0, ((0, 1, INS),))]

    db.connector.commit_ledger(table.id).forget("sync-a", "a2")
    assert committed(db, table, "sync-a", "a2") == []
    assert committed(db, table, "sync-b", "b1") != []


def test_the_markers_table_is_never_offered_as_a_target(db: Db) -> None:
    table = db.table(rows=None)
    write(db, table, SyncMode.APPEND, "s", "e1", people(1))
    assert has_markers_table(db)
    assert MARKERS not in db.tables()
    assert table.name in db.tables()
    with pytest.raises(ObjectNotFound):
        db.connector.describe_target(f"{db.schema}.{MARKERS}")
    with pytest.raises(ValidationFailed, match="Syncline's own"):
        db.connector.describe_new_target({"schema": db.schema, "name": MARKERS})


@pytest.mark.parametrize("kind", DIALECTS)
def test_the_markers_table_is_made_only_by_a_writer_that_marks(
    kind: str, pg_config: dict[str, Any], mysql_config: dict[str, Any], tmp_path: Path
) -> None:
    with database(kind, pg_config, mysql_config, tmp_path) as fresh:
        table = fresh.table(rows=None)
        plans = [
            plan_for(table, SyncMode.APPEND),  # no mark
            plan_for(table, SyncMode.REPLACE, mark=CommitMark("s", "e")),  # all or nothing
        ]
        for plan in plans:
            with fresh.connector.open_writer(plan) as writer:
                assert writer.commit_marking is CommitMarking.NONE
                writer.write(batch_of(plan, people(1)))
                writer.finish()
        assert not has_markers_table(fresh)
        assert fresh.connector.commit_ledger(table.id).committed("s", ["e"]) == []


def test_a_target_table_describes_how_its_commits_are_marked(db: Db) -> None:
    table = db.table(rows=None)
    described = db.connector.describe_target(table.id)
    assert described.commit_marking is CommitMarking.BATCH
    assert described.marking_note == ""


def test_markers_live_beside_a_table_whose_schema_needs_quoting(
    pg_config: dict[str, Any],
) -> None:
    schema = f'Odd "q" 100% {unique_name("s")}'
    quoted = '"' + schema.replace('"', '""') + '"'
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {quoted}")
        conn.execute(f"CREATE TABLE {quoted}.people (id integer, name text, score integer)")
    try:
        connector = make_connector("postgresql", pg_config)
        table = Table(f"{schema}.people", "people", f"{quoted}.people")
        plan = plan_for(table, SyncMode.APPEND, mark=CommitMark("s", "e1"))
        with connector.open_writer(plan) as writer:
            assert writer.commit_marking is CommitMarking.BATCH
            writer.write(batch_of(plan, people(1, 2)), 0)
            writer.finish()
        ledger = connector.commit_ledger(table.id)
        assert ledger.committed("s", ["e1"]) == [CommittedBatch("e1", 0, ((0, 2, INS),))]
        ledger.forget("s", "e1")
        assert ledger.committed("s", ["e1"]) == []
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {quoted} CASCADE")


def test_a_mariadb_table_without_transactions_cannot_mark_and_says_why(
    mysql_config: dict[str, Any],
) -> None:
    with temporary_maria_database(
        "myisam",
        "CREATE TABLE {database}.people (id INT, name VARCHAR(50), score INT) ENGINE=MyISAM",
    ) as name:
        connector = make_connector("mysql", {**mysql_config, "dbname": name})
        described = connector.describe_target(f"{name}.people")
        assert described.commit_marking is CommitMarking.NONE
        assert "MyISAM" in described.marking_note
        assert "append or snapshot may hold it twice" in described.marking_note

        table = Table(f"{name}.people", "people", f"`{name}`.people")
        plan = plan_for(table, SyncMode.APPEND, mark=CommitMark("s", "e1"))
        with connector.open_writer(plan) as writer:
            assert writer.commit_marking is CommitMarking.NONE
            assert writer.marking_problem is not None
            assert "MyISAM" in writer.marking_problem
            writer.write(batch_of(plan, people(1)))
            writer.finish()
        conn = pymysql.connect(
            host=mysql_config["hostname"], port=mysql_config["port"], user=mysql_config["account"]
        )
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.TABLES"
                " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                (name, MARKERS),
            )
            assert cursor.fetchone() == (0,)
        conn.close()
