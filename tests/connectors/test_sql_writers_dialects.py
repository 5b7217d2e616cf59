"""Writer behaviours that differ by database, or that each database reaches
by its own means: constraint messages, arrays, time zones, lost connections,
unusual names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import FilterFunction as F
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import TargetCondition, TargetFilter, WriteColumn
from syncline.errors import ConnectorError
from tests.connectors.sql_fixtures import unique_name
from tests.connectors.sql_writer_fixtures import (
    DEL,
    DIALECTS,
    INS,
    NF,
    REJ,
    SKIP,
    UPD,
    Db,
    Table,
    batch_of,
    database,
    plan_for,
)

REFUSALS = {
    "postgresql": (
        "(id INTEGER PRIMARY KEY, code VARCHAR(20), CONSTRAINT positive CHECK (length(code) > 1))",
        "x",
        'new row for relation ".*" violates check constraint "positive"',
    ),
    "mysql": (
        "(id INTEGER PRIMARY KEY, code VARCHAR(5))",
        "toolong",
        "Data too long for column 'code' at row 1",
    ),
    "sqlite": (
        "(id INTEGER PRIMARY KEY, code TEXT CHECK (length(code) > 1))",
        "x",
        r"CHECK constraint failed: length\(code\) > 1",
    ),
}
"""Per database: a table, a value it refuses, and the database's own message."""

CODES = (WriteColumn("id", pa.int64()), WriteColumn("code", pa.string()))


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("w")) as db:
        yield db


def test_a_value_the_database_refuses_is_rejected_with_its_own_message(db: Db) -> None:
    ddl, bad, message = REFUSALS[db.type_id]
    table = db.table(ddl, None)

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE, CODES),
        {"id": [1, 2, 3, 4, 5], "code": ["ok", "fine", bad, "good", "nice"]},
    )

    assert result.results == [INS, INS, REJ, INS, INS]
    assert re.fullmatch(message, result.messages[2])
    assert [row[0] for row in db.rows(table)] == [1, 2, 4, 5]


def test_a_record_clashing_with_another_unique_key_is_rejected_not_merged(db: Db) -> None:
    table = db.table("(id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE)", "(1, 'a'), (2, 'b')")

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE, CODES),
        {"id": [3, 2], "code": ["a", "bb"]},
    )

    assert result.results == [REJ, UPD]
    assert db.rows(table) == [(1, "a"), (2, "bb")]


def test_an_instant_in_another_time_zone_is_stored_as_the_same_instant(db: Db) -> None:
    name = unique_name("tz")
    table = Table(f"{db.schema}.{name}", name, f"{db.q(db.schema)}.{db.q(name)}")
    columns = (WriteColumn("id", pa.int64()), WriteColumn("at", pa.timestamp("us", "Europe/Paris")))
    paris = dt.datetime(2024, 1, 15, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    create = {"schema": db.schema, "name": name}

    db.write(plan_for(table, SyncMode.APPEND, columns, create=create), {"id": [1], "at": [paris]})

    [row] = db.connector.read({"table": table.id}).read_all().to_pylist()
    expected = {
        "postgresql": dt.datetime(2024, 1, 15, 9, 30, tzinfo=dt.UTC),
        "mysql": dt.datetime(2024, 1, 15, 9, 30),
        "sqlite": "2024-01-15 09:30:00+00:00",
    }
    assert row["at"] == expected[db.type_id]


def test_names_with_quotes_percent_signs_and_spaces_are_quoted_everywhere(db: Db) -> None:
    quote = db.quote
    column = f"odd{quote}{quote} %s col"
    table = db.table(
        f"(id INTEGER PRIMARY KEY, {quote}{column}{quote} VARCHAR(20))", "(1, 'x'), (2, 'y')"
    )
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn(column.replace(quote * 2, quote), pa.string()),
    )
    odd = columns[1].name
    target_filter = TargetFilter({"A": TargetCondition(odd, F.STRING_ENDS_WITH, "%")})

    [upserted] = db.write(
        plan_for(table, SyncMode.UPDATE_OR_CREATE, columns), {"id": [1, 3], odd: ["50%", "z"]}
    )
    [removed] = db.write(
        plan_for(table, SyncMode.REMOVE, columns[:1], target_filter=target_filter),
        {"id": [1, 2, 4]},
    )

    assert (upserted.results, removed.results) == ([UPD, INS], [DEL, SKIP, NF])
    assert db.rows(table) == [(2, "y"), (3, "z")]


@pytest.mark.parametrize("type_id", ["postgresql", "mysql"])
def test_a_lost_connection_fails_the_batch_with_a_connector_error(
    type_id: str, pg_config: dict[str, Any], mysql_config: dict[str, Any], tmp_path: Path
) -> None:
    with database(type_id, pg_config, mysql_config, tmp_path) as db:
        lose_the_connection_while_writing(db)


def lose_the_connection_while_writing(db: Db) -> None:
    table = db.table()
    plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, CODES[:1])

    with db.connector.open_writer(plan) as writer:
        if db.type_id == "postgresql":
            db.execute(f"SELECT pg_terminate_backend({writer.conn.info.backend_pid})")
        else:
            db.execute(f"KILL {writer.conn.thread_id()}")
        with pytest.raises(ConnectorError):
            writer.write(batch_of(plan, {"id": [7]}))

    assert [row[0] for row in db.rows(table)] == [1, 2, 3]


def test_array_filters_apply_to_postgresql_arrays_and_are_refused_elsewhere(db: Db) -> None:
    name = unique_name("arr")
    table = Table(f"{db.schema}.{name}", name, f"{db.q(db.schema)}.{db.q(name)}")
    columns = (WriteColumn("id", pa.int64()), WriteColumn("tags", pa.list_(pa.int64())))
    if db.type_id == "postgresql":
        db.execute(f"CREATE TABLE {table.sql} (id integer PRIMARY KEY, tags integer[])")
    else:
        create = {"schema": db.schema, "name": name}
        db.write(plan_for(table, SyncMode.APPEND, columns, create=create))
    db.write(
        plan_for(table, SyncMode.APPEND, columns), {"id": [1, 2, 3], "tags": [[1, 2], [3], None]}
    )

    def updated(function: F) -> list[Any]:
        target_filter = TargetFilter({"A": TargetCondition("tags", function, "2")})
        plan = plan_for(table, SyncMode.UPDATE, columns[:1], target_filter=target_filter)
        return db.write(plan, {"id": [1, 2, 3]})[0].results

    if db.type_id != "postgresql":
        with pytest.raises(ConnectorError, match="ArrayContains does not apply"):
            updated(F.ARRAY_CONTAINS)
        return
    assert updated(F.ARRAY_CONTAINS) == [UPD, SKIP, SKIP]
    assert updated(F.ARRAY_DOES_NOT_CONTAIN) == [SKIP, UPD, UPD]
    assert db.rows(table) == [(1, [1, 2]), (2, [3]), (3, None)]


REFUSING_TRIGGER = {
    "postgresql": [
        "CREATE FUNCTION {s}.no_99() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN IF NEW.id = 99 THEN RAISE EXCEPTION 'no 99'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER no_99 BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {s}.no_99()",
    ],
    "mysql": [
        "CREATE TRIGGER {s}.no_99 BEFORE INSERT ON {t} FOR EACH ROW"
        " IF NEW.id = 99 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no 99'; END IF",
    ],
    "sqlite": [
        "CREATE TRIGGER no_99 BEFORE INSERT ON {t} WHEN NEW.id = 99"
        " BEGIN SELECT RAISE(ABORT, 'no 99'); END",
    ],
}
"""Per database: a trigger on the target refusing id 99, which the replace
staging table (a copy of the definition, without triggers) does not have."""


def test_a_replace_whose_swap_fails_leaves_the_old_contents(db: Db) -> None:
    table = db.table()
    for statement in REFUSING_TRIGGER[db.type_id]:
        db.execute(statement.format(s=db.q(db.schema), t=table.sql))
    plan = plan_for(table, SyncMode.REPLACE)

    with db.connector.open_writer(plan) as writer:
        result = writer.write(batch_of(plan, {"id": [7, 99], "name": ["a", "b"], "score": [1, 2]}))
        with pytest.raises(ConnectorError, match="no 99"):
            writer.finish()

    assert result.results == [INS, INS]
    assert db.rows(table) == [(1, "Ann", 10), (2, "Bob", None), (3, "Cy", 30)]
    assert not any("__syncline_stage_" in name for name in db.tables())
