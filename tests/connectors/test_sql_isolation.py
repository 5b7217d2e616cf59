"""Isolating bad records on PostgreSQL and MariaDB targets.

A batch with bad records of several kinds scattered through it gets, record
for record, the results and messages of writing the records one at a time,
and leaves the same rows. Faults the columns make certain (too long, out of
range, NULL into NOT NULL) and CHECK constraints are found without an
attempt per record, so a batch where every record is bad sends about what a
clean batch sends. The good records of a batch commit together, with one
commit marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitMark,
    CommittedBatch,
    RecordResult,
    WriteColumn,
    WritePlan,
)
from tests.connectors.sql_fixtures import make_connector
from tests.connectors.sql_writer_fixtures import REJ, Db, Table, batch_of, database, plan_for
from tests.faults import FaultProxy

DDL = {
    "postgresql": (
        "(id integer PRIMARY KEY, name varchar(8) NOT NULL, score smallint, code integer UNIQUE,"
        " CONSTRAINT score_positive CHECK (score >= 0))"
    ),
    "mysql": (
        "(id INTEGER PRIMARY KEY, name VARCHAR(8) NOT NULL, score SMALLINT, code INTEGER UNIQUE,"
        " CONSTRAINT score_positive CHECK (score >= 0)) ENGINE=InnoDB"
    ),
}
COLUMN_CHECK_DDL = (
    "(id INTEGER PRIMARY KEY, name VARCHAR(8) NOT NULL, score SMALLINT CHECK (score >= 0),"
    " code INTEGER UNIQUE)"
)
"""An unnamed CHECK on a column: MariaDB names it after the column, PostgreSQL
`<table>_score_check`."""
EXISTING = ", ".join(f"({i}, 'old{i}', 1, {1000 + i})" for i in range(1, 40, 2))
"""Rows already in the table: odd ids 1..39, code 1000 + id."""
COLUMNS = (
    WriteColumn("id", pa.int64()),
    WriteColumn("name", pa.string()),
    WriteColumn("score", pa.int64()),
    WriteColumn("code", pa.int64()),
)
SIZE = 120


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("i")) as db:
        yield db


def scattered() -> dict[str, list[Any]]:
    """Records 1..SIZE; every few a bad one of another kind (see the comments)."""
    ids = list(range(1, SIZE + 1))
    names: list[Any] = [f"n{i}" for i in ids]
    scores: list[Any] = list(ids)
    codes: list[Any] = [2000 + i for i in ids]
    for n, i in enumerate(ids):
        if i % 10 == 3:
            scores[n] = -1  # breaks the CHECK constraint
        elif i % 10 == 5:
            names[n] = "far too long"  # longer than varchar(8)
        elif i % 10 == 7:
            names[n] = None  # NULL into NOT NULL
        elif i % 20 == 9:
            scores[n] = 40_000  # out of smallint's range
        elif i % 20 == 19:
            codes[n] = 1001  # the unique code of row 1 (unless record 1 changed it)
    return {"id": ids, "name": names, "score": scores, "code": codes}


def twin_tables(db: Db) -> tuple[Table, Table]:
    return db.table(DDL[db.type_id], EXISTING), db.table(DDL[db.type_id], EXISTING)


def one_by_one(db: Db, plan: WritePlan, values: dict[str, list[Any]]) -> BatchResult:
    """Each record written as a batch of its own, in order, by one writer."""
    results: list[RecordResult] = []
    messages: dict[int, str] = {}
    with db.connector.open_writer(plan) as writer:
        for n in range(len(values["id"])):
            single = {name: [column[n]] for name, column in values.items()}
            result = writer.write(batch_of(plan, single))
            results += result.results
            if 0 in result.messages:
                messages[n] = result.messages[0]
        writer.finish()
    return BatchResult(results, messages)


@pytest.mark.parametrize(
    "mode",
    [
        SyncMode.APPEND,
        SyncMode.CREATE,
        SyncMode.UPDATE,
        SyncMode.UPDATE_OR_CREATE,
        SyncMode.REPLACE,
    ],
)
def test_scattered_bad_records_get_the_results_and_messages_of_a_record_by_record_run(
    db: Db, mode: SyncMode
) -> None:
    batched, single = twin_tables(db)
    values = scattered()

    [result] = db.write(plan_for(batched, mode, COLUMNS), values)
    expected = one_by_one(db, plan_for(single, mode, COLUMNS), values)

    assert result.results == expected.results
    assert result.messages == {
        n: message.replace(single.name, batched.name) for n, message in expected.messages.items()
    }
    assert db.rows(batched) == db.rows(single)
    assert REJ in result.results
    for n, message in result.messages.items():
        if result.results[n] is not REJ:
            continue
        i = n + 1
        if i % 10 == 3:
            assert "score_positive" in message
        elif i % 10 in (5, 7):
            assert "name" in message
        elif i % 20 == 9:
            assert "score" in message


def proxied(
    db: Db, proxy: FaultProxy, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> Any:
    """The connector of `db` reaching its server through `proxy`."""
    where = {"hostname": proxy.host, "port": proxy.port}
    if db.type_id == "postgresql":
        return make_connector("postgresql", {**pg_config, **where})
    return make_connector("mysql", {**mysql_config, "dbname": db.schema, **where})


def sent(
    connector: Any, proxy: FaultProxy, plan: WritePlan, batch: pa.RecordBatch
) -> tuple[int, BatchResult]:
    """Bytes sent to the server to write `batch` (opening the writer excluded)."""
    with connector.open_writer(plan) as writer:
        before = proxy.forwarded
        result = writer.write(batch, 0)
        count = proxy.forwarded - before
        writer.finish()
    return count, result


@pytest.mark.parametrize("fault", ["check", "too long"])
def test_a_batch_where_every_record_is_bad_sends_about_what_a_clean_batch_sends(
    db: Db, pg_config: dict[str, Any], mysql_config: dict[str, Any], fault: str
) -> None:
    size = 2000
    clean = {
        "id": list(range(size)),
        "name": [f"n{i % 1000}" for i in range(size)],
        "score": [1] * size,
        "code": list(range(size)),
    }
    bad = (
        {**clean, "score": [-5] * size} if fault == "check" else {**clean, "name": ["x" * 9] * size}
    )
    with FaultProxy(*_server(db, pg_config, mysql_config)) as proxy:
        connector = proxied(db, proxy, pg_config, mysql_config)
        floor_table, bad_table = db.table(DDL[db.type_id], None), db.table(DDL[db.type_id], None)
        floor, _ = sent(
            connector,
            proxy,
            plan_for(floor_table, SyncMode.APPEND, COLUMNS),
            batch_of(plan_for(floor_table, SyncMode.APPEND, COLUMNS), clean),
        )
        plan = plan_for(bad_table, SyncMode.APPEND, COLUMNS, mark=CommitMark("s-all-bad", "e1"))
        cost, result = sent(connector, proxy, plan, batch_of(plan, bad))

    assert result.results == [REJ] * size
    expected = "score_positive" if fault == "check" else "name"
    assert all(expected in message for message in result.messages.values())
    assert len(db.rows(floor_table)) == size
    assert db.rows(bad_table) == []
    assert db.connector.commit_ledger(bad_table.id).committed("s-all-bad", ["e1"]) == []
    # Bisection sent the batch again and again (about log2(size) times).
    assert cost <= 3 * floor


def _server(db: Db, pg_config: dict[str, Any], mysql_config: dict[str, Any]) -> tuple[str, int]:
    config = pg_config if db.type_id == "postgresql" else mysql_config
    return str(config["hostname"]), int(config["port"])


def test_the_good_records_of_a_batch_commit_together_with_one_marker(db: Db) -> None:
    table = db.table(DDL[db.type_id], EXISTING)
    values = scattered()
    plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, COLUMNS, mark=CommitMark("s-one", "e1"))

    with db.connector.open_writer(plan) as writer:
        result = writer.write(batch_of(plan, values), 7)
        writer.finish()

    [marker] = db.connector.commit_ledger(table.id).committed("s-one", ["e1"])
    assert isinstance(marker, CommittedBatch)
    assert marker.batch == 7
    marked = {
        index: code
        for first, count, code in marker.outcomes
        for index in range(first, first + count)
    }
    assert marked == {n: r for n, r in enumerate(result.results) if r is not REJ}


def test_a_bad_record_found_by_a_check_carries_the_database_s_own_message(db: Db) -> None:
    table = db.table(COLUMN_CHECK_DDL, None)
    values = {"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [1, -1, 2], "code": [1, 2, 3]}
    plan = plan_for(table, SyncMode.APPEND, COLUMNS)

    [result] = db.write(plan, values)
    direct = _refusal(db, table)

    assert result.results == [RecordResult.INSERTED, REJ, RecordResult.INSERTED]
    assert result.messages == {1: direct}


def _refusal(db: Db, table: Table) -> str:
    """The database's own message for a row breaking the CHECK constraint."""
    try:
        db.execute(f"INSERT INTO {table.sql} VALUES (9, 'x', -1, 9)")
    except Exception as exc:  # noqa: BLE001 - the message is what the test wants
        if db.type_id == "postgresql":
            return str(exc.diag.message_primary)
        return str(exc.args[1])
    raise AssertionError("the CHECK constraint did not refuse the row")


def test_after_a_batch_broke_a_check_the_next_is_screened_before_it_is_sent(
    db: Db, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> None:
    size = 2000

    def records(first: int, score: int) -> dict[str, list[Any]]:
        ids = list(range(first, first + size))
        return {"id": ids, "name": ["n"] * size, "score": [score] * size, "code": ids}

    with FaultProxy(*_server(db, pg_config, mysql_config)) as proxy:
        connector = proxied(db, proxy, pg_config, mysql_config)
        floor_table, table = db.table(DDL[db.type_id], None), db.table(DDL[db.type_id], None)
        floor_plan = plan_for(floor_table, SyncMode.APPEND, COLUMNS)
        floor, _ = sent(connector, proxy, floor_plan, batch_of(floor_plan, records(0, 1)))
        plan = plan_for(table, SyncMode.APPEND, COLUMNS)
        with connector.open_writer(plan) as writer:
            first = writer.write(batch_of(plan, records(0, -1)), 0)
            before = proxy.forwarded
            second = writer.write(batch_of(plan, records(size, -1)), 1)
            cost = proxy.forwarded - before
            third = writer.write(batch_of(plan, records(2 * size, 1)), 2)
            writer.finish()

    assert first.results == second.results == [REJ] * size
    assert third.results == [RecordResult.INSERTED] * size
    assert [row[0] for row in db.rows(table)] == list(range(2 * size, 3 * size))
    # Staged once and screened: never sent to the table first.
    assert cost <= 1.5 * floor
