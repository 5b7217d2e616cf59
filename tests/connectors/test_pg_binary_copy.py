"""PostgreSQL's binary COPY (pgpq) on the bulk path: which columns take it,
and that what it stores is exactly what the row path stores.

Each comparison writes the same batches twice, with the bulk path and
without it (`bulk_write_fixtures.twins`), and records whether the bulk
path's loads went binary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from syncline.connectors.postgresql.binary import SLICE_ROWS, binary_type, encode
from syncline.connectors.postgresql.writer import PostgresqlWriter
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WriteColumn
from tests.connectors.bulk_write_fixtures import write
from tests.connectors.sql_writer_fixtures import INS, REJ, Db, database, plan_for
from tests.connectors.test_bulk_write import (
    EVERY_TYPE,
    assert_stored,
    created_twins,
    every_type_values,
)

UTC = dt.UTC
PARIS = "Europe/Paris"


@pytest.fixture(scope="module")
def db(
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database("postgresql", pg_config, mysql_config, tmp_path_factory.mktemp("b")) as db:
        yield db


@pytest.fixture
def binary_loads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each bulk load of the test went binary (True) or as CSV (False)."""
    loads: list[bool] = []
    original = PostgresqlWriter._binary

    def recorded(writer: PostgresqlWriter, columns: Any, batch: pa.RecordBatch) -> bytes | None:
        data = original(writer, columns, batch)
        loads.append(data is not None)
        return data

    monkeypatch.setattr(PostgresqlWriter, "_binary", recorded)
    return loads


# ------------------------------------------------------------ which columns

CASES = [
    (pa.int64(), "bigint", pa.int64()),
    (pa.int8(), "bigint", pa.int64()),
    (pa.uint32(), "bigint", pa.int64()),
    (pa.int64(), "integer", pa.int32()),
    (pa.int32(), "smallint", pa.int16()),
    (pa.bool_(), "boolean", pa.bool_()),
    (pa.float32(), "double precision", pa.float64()),
    (pa.float32(), "real", pa.float32()),
    (pa.float64(), "real", None),
    (pa.decimal128(10, 2), "numeric(12,4)", pa.decimal128(10, 2)),
    (pa.decimal256(40, 2), "numeric", None),
    (pa.string(), "text", pa.string()),
    (pa.large_string(), "character varying(20)", pa.large_string()),
    (pa.string(), "character(2)", pa.string()),
    (pa.string(), "jsonb", None),
    (pa.string(), "uuid", None),
    (pa.int64(), "numeric", None),
    (pa.date64(), "date", pa.date32()),
    (pa.timestamp("ms", tz=PARIS), "timestamp with time zone", pa.timestamp("us")),
    (pa.timestamp("s"), "timestamp with time zone", pa.timestamp("us")),
    (pa.timestamp("us", tz="UTC"), "timestamp without time zone", pa.timestamp("us")),
    (pa.timestamp("us", tz=PARIS), "timestamp without time zone", None),
    (pa.timestamp("ns", tz="UTC"), "timestamp with time zone", None),
    (pa.timestamp("us", tz="UTC"), "timestamp(3) with time zone", None),
    (pa.time32("ms"), "time without time zone", pa.time64("us")),
    (pa.binary(), "bytea", None),
    (pa.list_(pa.int64()), "bigint[]", None),
    (pa.string(), "mood", None),
]


@pytest.mark.parametrize(("arrow_type", "column_type", "expected"), CASES)
def test_binary_takes_only_values_it_writes_as_the_column_reads_them(
    arrow_type: pa.DataType, column_type: str, expected: pa.DataType | None
) -> None:
    assert binary_type(arrow_type, column_type) == expected


def test_a_value_its_cast_would_change_is_refused() -> None:
    with pytest.raises(pa.ArrowInvalid):
        encode([pa.array([2**40], pa.int64())], [pa.int32()])


# ------------------------------------------------------------ what it stores

BINARY_TYPES = tuple(c for c in EVERY_TYPE if c.name != "unsigned")
"""Every type of the bulk path's round trip but uint64, which goes to numeric(20,0)."""


def test_every_type_binary_takes_stores_what_the_row_path_stores(
    db: Db, binary_loads: list[bool]
) -> None:
    every = every_type_values("postgresql")
    values = {c.name: every[c.name] for c in BINARY_TYPES}

    bulk, by_rows, [table, _] = created_twins(db, BINARY_TYPES, values)

    assert binary_loads == [True]
    assert bulk.results == by_rows.results
    assert bulk.rows == by_rows.rows
    assert_stored(db, table, BINARY_TYPES, values)


def test_instants_in_a_zone_go_binary_into_timestamptz_and_as_csv_into_timestamp(
    db: Db, binary_loads: list[bool]
) -> None:
    paris = ZoneInfo(PARIS)
    summer = dt.datetime(2024, 7, 1, 2, 30, 15, 123000, tzinfo=paris)
    values = {"id": [1, 2], "at": [summer, None]}
    zoned = (WriteColumn("id", pa.int64()), WriteColumn("at", pa.timestamp("ms", tz=PARIS)))
    ddl = "(id bigint PRIMARY KEY, at {})"

    for column_type, went_binary, stored in (
        ("timestamptz", True, summer),
        ("timestamp", False, dt.datetime(2024, 7, 1, 2, 30, 15, 123000)),
    ):
        binary_loads.clear()
        runs = []
        for bulk in (True, False):
            table = db.table(ddl.format(column_type), None)
            plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, zoned)
            runs.append(write(db, table, plan, [values], bulk=bulk))
        assert binary_loads == [went_binary], column_type
        assert runs[0].rows == runs[1].rows
        assert runs[0].rows[0][1] == stored


def test_an_integer_too_wide_for_its_column_is_rejected_naming_the_type(
    db: Db, binary_loads: list[bool]
) -> None:
    columns = (WriteColumn("id", pa.int64()), WriteColumn("score", pa.int64()))
    ddl = "(id integer PRIMARY KEY, score integer)"
    values = {"id": [1, 2, 3], "score": [10, 2**40, None]}

    runs = []
    for bulk in (True, False):
        table = db.table(ddl, None)
        plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, columns)
        runs.append(write(db, table, plan, [values], bulk=bulk))

    # The column's type makes the fault certain: screened before any load; the
    # other records go in binary.
    assert binary_loads == [True]
    bulk, by_rows = runs
    assert bulk.results[0].results == [INS, REJ, INS]
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    assert "out of range for type integer" in bulk.results[0].messages[1]


@pytest.mark.parametrize(("amount_type", "binary"), [("bigint", True), ("numeric", False)])
def test_a_batch_of_several_slices_arrives_whole_in_either_format(
    db: Db, binary_loads: list[bool], amount_type: str, binary: bool
) -> None:
    rows = 3 * SLICE_ROWS + 5
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("amount", pa.int64()),
        WriteColumn("name", pa.string()),
    )
    values = {
        "id": list(range(rows)),
        "amount": [None if n % 7 == 0 else n * 3 for n in range(rows)],
        "name": [f"n{n}" if n % 5 else "" for n in range(rows)],
    }
    ddl = f"(id bigint PRIMARY KEY, amount {amount_type}, name text)"

    runs = []
    for bulk in (True, False):
        table = db.table(ddl, None)
        plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, columns)
        runs.append(write(db, table, plan, [values], bulk=bulk))

    assert binary_loads == [binary]
    bulk, by_rows = runs
    assert (bulk.arrow_loads, bulk.results) == (1, by_rows.results)
    assert len(bulk.rows) == rows
    assert bulk.rows == by_rows.rows
