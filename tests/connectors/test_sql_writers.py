"""Every sync mode written to PostgreSQL, MariaDB and SQLite tables: exact
per-record results and exact table contents afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WriteColumn
from syncline.errors import ConnectorError, ObjectNotFound
from tests.connectors.sql_writer_fixtures import (
    DEL,
    DIALECTS,
    INS,
    NF,
    PEOPLE,
    REJ,
    SKIP,
    UPD,
    Db,
    Table,
    batch_of,
    database,
    plan_for,
)

ORIGINAL = [(1, "Ann", 10), (2, "Bob", None), (3, "Cy", 30)]


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("w")) as db:
        yield db


def people(ids: list[int | None], names: list[str | None], scores: list[int | None]) -> Any:
    return {"id": ids, "name": names, "score": scores}


# ------------------------------------------------------------ identity modes


def test_create_inserts_new_records_and_skips_existing_ones(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.CREATE), people([2, 4], ["Bobby", "Dee"], [20, 40])
    )

    assert result.results == [SKIP, INS]
    assert db.rows(table) == [*ORIGINAL, (4, "Dee", 40)]


def test_update_updates_matches_and_reports_unknown_identities_not_found(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE), people([3, 9, 1], ["Cyd", "Nobody", "Annie"], [33, 9, 1])
    )

    assert result.results == [UPD, NF, UPD]
    assert db.rows(table) == [(1, "Annie", 1), (2, "Bob", None), (3, "Cyd", 33)]


def test_update_or_create_updates_matches_and_inserts_the_rest(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE), people([4, 2], ["Dee", "Bobby"], [40, 20])
    )

    assert result.results == [INS, UPD]
    assert db.rows(table) == [(1, "Ann", 10), (2, "Bobby", 20), (3, "Cy", 30), (4, "Dee", 40)]


def test_update_or_create_stays_exact_across_batches_of_new_and_known_identities(db: Db) -> None:
    table = db.table()

    results = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE),
        people([4, 5], ["Dee", "Eve"], [4, 5]),
        people([5, 6], ["Eva", "Fay"], [5, 6]),
        people([7], ["Gus"], [7]),
        people([8, 1], ["Hal", "Annie"], [8, 1]),
    )

    assert [r.results for r in results] == [[INS, INS], [UPD, INS], [INS], [INS, UPD]]
    assert db.rows(table)[3:] == [
        (4, "Dee", 4),
        (5, "Eva", 5),
        (6, "Fay", 6),
        (7, "Gus", 7),
        (8, "Hal", 8),
    ]
    assert db.rows(table)[0] == (1, "Annie", 1)


def test_update_or_create_without_a_unique_key_updates_then_inserts(db: Db) -> None:
    table = db.table("(id INTEGER, name VARCHAR(50) NOT NULL, score INTEGER)")

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE), people([4, 2], ["Dee", "Bobby"], [40, 20])
    )

    assert result.results == [INS, UPD]
    assert db.rows(table) == [(1, "Ann", 10), (2, "Bobby", 20), (3, "Cy", 30), (4, "Dee", 40)]


def test_identity_modes_match_on_every_identity_column(db: Db) -> None:
    table = db.table(
        "(region VARCHAR(10), id INTEGER, name VARCHAR(50), PRIMARY KEY (region, id))",
        "('eu', 1, 'Ann'), ('us', 1, 'Al')",
    )
    columns = (
        WriteColumn("region", pa.string()),
        WriteColumn("id", pa.int64()),
        WriteColumn("name", pa.string()),
    )
    plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, columns, identity=("region", "id"))

    [result] = db.write(plan, {"region": ["us", "us"], "id": [1, 2], "name": ["Alan", "Bo"]})

    assert result.results == [UPD, INS]
    assert db.rows(table, order="region, id") == [
        ("eu", 1, "Ann"),
        ("us", 1, "Alan"),
        ("us", 2, "Bo"),
    ]


def test_remove_deletes_matches_and_reports_unknown_identities_not_found(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.REMOVE), people([1, 7, 3], ["x", "y", "z"], [0, 0, 0])
    )

    assert result.results == [DEL, NF, DEL]
    assert db.rows(table) == [(2, "Bob", None)]


@pytest.mark.parametrize("mode", [SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE])
def test_a_create_only_column_fills_an_empty_value_but_keeps_a_set_one(
    db: Db, mode: SyncMode
) -> None:
    table = db.table(
        "(id INTEGER PRIMARY KEY, name VARCHAR(50), score INTEGER)",
        "(1, 'Ann', 10), (2, NULL, NULL), (3, '', 30)",
    )
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("name", pa.string(), create_only=True),
        WriteColumn("score", pa.int64(), create_only=True),
    )

    [result] = db.write(
        plan_for(table, mode, columns), people([1, 2, 3], ["New", "New", "New"], [1, 2, 3])
    )

    assert result.results == [UPD, UPD, UPD]
    assert db.rows(table) == [(1, "Ann", 10), (2, "New", 2), (3, "New", 30)]


def test_a_null_identity_is_rejected_with_a_message_naming_the_column(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE), people([None, 4], ["Nil", "Dee"], [0, 40])
    )

    assert result.results == [REJ, INS]
    assert "identity column 'id' is empty" in result.messages[0]
    assert db.rows(table) == [*ORIGINAL, (4, "Dee", 40)]


def test_records_repeating_an_identity_in_a_batch_are_applied_once(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE),
        people([5, 5, 1], ["First", "Last", "Annie"], [1, 2, 3]),
    )

    assert result.results == [SKIP, INS, UPD]
    assert result.messages == {0: "record 1 of this batch has the same identity"}
    assert db.rows(table) == [(1, "Annie", 3), (2, "Bob", None), (3, "Cy", 30), (5, "Last", 2)]


# ------------------------------------------------------------ bad records


def test_a_bad_record_in_the_middle_is_rejected_and_the_others_written(db: Db) -> None:
    table = db.table()
    names = ["A", "B", "C", None, "E", "F", "G"]

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE), people(list(range(10, 17)), names, [0] * 7)
    )

    assert result.results == [INS, INS, INS, REJ, INS, INS, INS]
    assert list(result.messages) == [3]
    assert "name" in result.messages[3]
    assert [row[0] for row in db.rows(table)] == [1, 2, 3, 10, 11, 12, 14, 15, 16]


def test_a_bad_record_in_append_mode_is_rejected_and_the_others_written(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.APPEND), people([4, 1, 5], ["Dee", "Dup", "Eve"], [4, 1, 5])
    )

    assert result.results == [INS, REJ, INS]
    assert list(result.messages) == [1]
    assert [row[0] for row in db.rows(table)] == [1, 2, 3, 4, 5]


# ------------------------------------------------------------ inserting modes


def test_append_inserts_every_record(db: Db) -> None:
    table = db.table("(id INTEGER, name VARCHAR(50), score INTEGER)", "(1, 'Ann', 10)")

    [result] = db.write(
        plan_for(table, SyncMode.APPEND), people([1, 2], ["Ann", "Bob"], [10, None])
    )

    assert result.results == [INS, INS]
    assert db.rows(table, order="id, name") == [(1, "Ann", 10), (1, "Ann", 10), (2, "Bob", None)]


def test_snapshot_inserts_records_with_the_snapshot_time_in_a_column_it_adds(db: Db) -> None:
    table = db.table("(id INTEGER, name VARCHAR(50), score INTEGER)", None)
    at = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    plan = plan_for(table, SyncMode.SNAPSHOT, snapshot_column="taken_at", snapshot_time=at)

    [result] = db.write(plan, people([1, 2], ["Ann", "Bob"], [1, 2]))

    assert result.results == [INS, INS]
    rows = db.connector.read({"table": table.id}).read_all().to_pylist()
    assert [(r["id"], str(r["taken_at"])[:16]) for r in rows] == [
        (1, "2024-03-01 12:30"),
        (2, "2024-03-01 12:30"),
    ]


# ------------------------------------------------------------ replace


def test_replace_swaps_the_staged_records_in_on_finish_only(db: Db) -> None:
    table = db.table()
    plan = plan_for(table, SyncMode.REPLACE)

    with db.connector.open_writer(plan) as writer:
        first = writer.write(batch_of(plan, people([7], ["Gus"], [70])))
        second = writer.write(batch_of(plan, people([8, 9], ["Hal", "Ida"], [80, None])))
        assert db.rows(table) == ORIGINAL
        writer.finish()

    assert (first.results, second.results) == ([INS], [INS, INS])
    assert db.rows(table) == [(7, "Gus", 70), (8, "Hal", 80), (9, "Ida", None)]
    assert not any("__syncline_stage_" in name for name in db.tables())


def test_replace_closed_without_finish_leaves_the_old_contents_and_no_staging_table(
    db: Db,
) -> None:
    table = db.table()
    plan = plan_for(table, SyncMode.REPLACE)

    with db.connector.open_writer(plan) as writer:
        writer.write(batch_of(plan, people([7], ["Gus"], [70])))
        assert any("__syncline_stage_" in name for name in db.tables())

    assert db.rows(table) == ORIGINAL
    assert not any("__syncline_stage_" in name for name in db.tables())


def test_replace_interrupted_by_an_exception_leaves_the_old_contents(db: Db) -> None:
    table = db.table()
    plan = plan_for(table, SyncMode.REPLACE)

    def run_until_the_source_fails() -> None:
        with db.connector.open_writer(plan) as writer:
            writer.write(batch_of(plan, people([7], ["Gus"], [70])))
            raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        run_until_the_source_fails()

    assert db.rows(table) == ORIGINAL


def test_replace_refuses_to_empty_a_table_with_rows(db: Db) -> None:
    table = db.table()

    with pytest.raises(ConnectorError, match=rf"refusing to replace .*{table.name} \(3 rows\)"):
        db.write(plan_for(table, SyncMode.REPLACE))

    assert db.rows(table) == ORIGINAL


def test_replace_empties_a_table_when_allowed_to(db: Db) -> None:
    table = db.table()

    db.write(plan_for(table, SyncMode.REPLACE, allow_empty_replace=True))

    assert db.rows(table) == []


def test_replace_rejects_while_staging_a_record_the_table_would_refuse(db: Db) -> None:
    table = db.table()

    [result] = db.write(
        plan_for(table, SyncMode.REPLACE), people([1, 1, 2], ["Ann", "Again", None], [1, 2, 3])
    )

    assert result.results == [INS, REJ, REJ]
    assert db.rows(table) == [(1, "Ann", 1)]


# ------------------------------------------------------------ opening


def test_a_missing_table_is_not_found(db: Db) -> None:
    missing = Table(f"{db.schema}.no_such_table", "no_such_table", "")

    with pytest.raises(ObjectNotFound, match="no_such_table"):
        db.connector.open_writer(plan_for(missing, SyncMode.APPEND))


def test_a_missing_column_not_marked_new_is_not_found(db: Db) -> None:
    table = db.table()
    columns = (*PEOPLE, WriteColumn("email", pa.string()))

    with pytest.raises(ObjectNotFound, match="email"):
        db.connector.open_writer(plan_for(table, SyncMode.APPEND, columns))
