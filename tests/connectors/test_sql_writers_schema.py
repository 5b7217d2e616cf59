"""Writers creating tables and columns on PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.connectors.writing import WriteColumn
from tests.connectors.sql_fixtures import unique_name
from tests.connectors.sql_writer_fixtures import (
    DIALECTS,
    INS,
    PEOPLE,
    UPD,
    Db,
    Table,
    database,
    plan_for,
)

TYPED = (
    WriteColumn("key", pa.string()),
    WriteColumn("amount", pa.decimal128(10, 2)),
    WriteColumn("ratio", pa.float64()),
    WriteColumn("count", pa.int64()),
    WriteColumn("active", pa.bool_()),
    WriteColumn("at", pa.timestamp("us", tz="UTC")),
    WriteColumn("day", pa.date32()),
    WriteColumn("tags", pa.list_(pa.string())),
    WriteColumn("blob", pa.binary()),
)
AT = dt.datetime(2024, 1, 15, 9, 30, tzinfo=dt.UTC)
VALUES: dict[str, list[Any]] = {
    "key": ["k1"],
    "amount": [Decimal("12.50")],
    "ratio": [0.25],
    "count": [7],
    "active": [True],
    "at": [AT],
    "day": [dt.date(2024, 1, 15)],
    "tags": [["a", "b"]],
    "blob": [b"\x00\x01"],
}
READ_BACK = {
    "postgresql": ["k1", Decimal("12.50"), 0.25, 7, True, AT, dt.date(2024, 1, 15), '["a", "b"]'],
    "mysql": [
        "k1",
        Decimal("12.50"),
        0.25,
        7,
        True,
        AT.replace(tzinfo=None),
        dt.date(2024, 1, 15),
        '["a", "b"]',
    ],
    "sqlite": [
        "k1",
        12.5,
        0.25,
        7,
        True,
        "2024-01-15 09:30:00+00:00",
        "2024-01-15",
        '["a", "b"]',
    ],
}
"""What the connector reads back from each database (the blob is always bytes)."""


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("w")) as db:
        yield db


def new_table(db: Db) -> Table:
    name = unique_name("new")
    return Table(f"{db.schema}.{name}", name, f"{db.q(db.schema)}.{db.q(name)}")


def test_a_new_table_gets_columns_typed_from_arrow_and_a_key_on_the_identity(db: Db) -> None:
    table = new_table(db)
    plan = plan_for(
        table,
        SyncMode.UPDATE_OR_CREATE,
        TYPED,
        identity=("key",),
        create={"schema": db.schema, "name": table.name},
    )

    [result] = db.write(plan, VALUES)

    assert result.results == [INS]
    [row] = db.connector.read({"table": table.id}).read_all().to_pylist()
    assert list(row.values()) == [*READ_BACK[db.type_id], b"\x00\x01"]
    fields = {f.name: f for f in db.connector.describe_target(table.id).fields}
    assert [fields[c.name].type for c in TYPED] == [
        FieldType.STRING,
        FieldType.NUMBER,
        FieldType.NUMBER,
        FieldType.NUMBER,
        FieldType.BOOLEAN,
        FieldType.DATETIME,
        FieldType.DATETIME,
        FieldType.OBJECT,
        FieldType.BINARY,
    ]
    unique = [f.name for f in db.connector.source_fields({"table": table.id}) if f.unique]
    assert unique == ["key"]


def test_creating_the_table_again_after_a_crash_is_harmless(db: Db) -> None:
    table = new_table(db)
    plan = plan_for(
        table, SyncMode.UPDATE_OR_CREATE, create={"schema": db.schema, "name": table.name}
    )
    db.write(plan, {"id": [1], "name": ["Ann"], "score": [1]})

    [result] = db.write(plan, {"id": [1, 2], "name": ["Annie", "Bob"], "score": [1, 2]})

    assert result.results == [UPD, INS]
    assert db.rows(table) == [(1, "Annie", 1), (2, "Bob", 2)]


def test_a_new_column_is_added_before_the_first_write(db: Db) -> None:
    table = db.table()
    columns = (*PEOPLE, WriteColumn("email", pa.string(), new=True))

    [result] = db.write(
        plan_for(table, SyncMode.UPDATE, columns),
        {"id": [1], "name": ["Ann"], "score": [10], "email": ["ann@example.com"]},
    )

    assert result.results == [UPD]
    assert db.rows(table, "id, email") == [(1, "ann@example.com"), (2, None), (3, None)]


def test_a_new_column_that_already_exists_after_a_crash_is_not_added_twice(db: Db) -> None:
    table = db.table()
    columns = (*PEOPLE, WriteColumn("email", pa.string(), new=True))
    plan = plan_for(table, SyncMode.APPEND, columns)
    db.write(plan)

    [result] = db.write(plan, {"id": [4], "name": ["Dee"], "score": [4], "email": ["d@x"]})

    assert result.results == [INS]
    assert db.rows(table, "id, email")[-1] == (4, "d@x")
