"""The bulk path of the SQL writers (PostgreSQL COPY of Arrow-written CSV,
MariaDB LOAD DATA LOCAL of the same): clean batches are loaded from Arrow
without Python rows, store exactly what the row path stores, and fall back
to the row path for anything it would decide differently.

Each comparison writes the same batches twice, into two identical tables:
once as a writer does by default, once with the bulk path switched off.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from syncline.connectors.sql.values import SLICE_ROWS
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WriteColumn
from tests.connectors.bulk_write_fixtures import Run, people, twins, write
from tests.connectors.sql_fixtures import unique_name
from tests.connectors.sql_writer_fixtures import (
    DEL,
    INS,
    NF,
    PEOPLE_DDL,
    PEOPLE_ROWS,
    REJ,
    SKIP,
    UPD,
    Db,
    Table,
    database,
    plan_for,
)

UTC = dt.UTC


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("b")) as db:
        yield db


# ------------------------------------------------------------ the path taken

NO_KEY_DDL = "(id INTEGER, name VARCHAR(50) NOT NULL, score INTEGER)"

MODES: dict[str, tuple[str, str | None, SyncMode, dict[str, Any], list[Any], list[Any]]] = {
    "first load, then known identities": (
        PEOPLE_DDL,
        None,
        SyncMode.UPDATE_OR_CREATE,
        {},
        [people([1, 2], ["Ann", "Bob"]), people([3], ["Cy"]), people([3, 4], ["Cyd", "Dee"])],
        [[INS, INS], [INS], [UPD, INS]],
    ),
    "updateOrCreate": (
        PEOPLE_DDL,
        PEOPLE_ROWS,
        SyncMode.UPDATE_OR_CREATE,
        {},
        [people([2, 4], ["Bobby", "Dee"])],
        [[UPD, INS]],
    ),
    "updateOrCreate without a unique key": (
        NO_KEY_DDL,
        PEOPLE_ROWS,
        SyncMode.UPDATE_OR_CREATE,
        {},
        [people([2, 4], ["Bobby", "Dee"])],
        [[UPD, INS]],
    ),
    "create": (
        PEOPLE_DDL,
        PEOPLE_ROWS,
        SyncMode.CREATE,
        {},
        [people([2, 4], ["Bobby", "Dee"])],
        [[SKIP, INS]],
    ),
    "update": (
        PEOPLE_DDL,
        PEOPLE_ROWS,
        SyncMode.UPDATE,
        {},
        [people([3, 9], ["Cyd", "Nobody"])],
        [[UPD, NF]],
    ),
    "remove": (
        PEOPLE_DDL,
        PEOPLE_ROWS,
        SyncMode.REMOVE,
        {},
        [people([1, 9], ["Ann", "Nobody"])],
        [[DEL, NF]],
    ),
    "append": (
        NO_KEY_DDL,
        PEOPLE_ROWS,
        SyncMode.APPEND,
        {},
        [people([1, 4], ["Ann", "Dee"])],
        [[INS, INS]],
    ),
    "snapshot": (
        NO_KEY_DDL,
        None,
        SyncMode.SNAPSHOT,
        {
            "snapshot_column": "taken_at",
            "snapshot_time": dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
        },
        [people([1, 2], ["Ann", "Bob"])],
        [[INS, INS]],
    ),
    "replace": (
        PEOPLE_DDL,
        PEOPLE_ROWS,
        SyncMode.REPLACE,
        {},
        [people([7], ["Gus"]), people([8, 9], ["Hal", "Ida"])],
        [[INS], [INS, INS]],
    ),
}


@pytest.mark.parametrize("case", list(MODES))
def test_clean_batches_are_loaded_from_arrow_with_the_row_paths_results(db: Db, case: str) -> None:
    ddl, rows, mode, options, batches, expected = MODES[case]

    bulk, by_rows = twins(db, ddl, rows, lambda t: plan_for(t, mode, **options), batches)

    assert [r.results for r in bulk.results] == expected
    assert bulk.results == by_rows.results
    assert bulk.rows == by_rows.rows
    assert (bulk.arrow_loads > 0, bulk.row_loads) == (True, 0)
    assert (by_rows.arrow_loads, by_rows.row_loads > 0) == (0, True)


def test_null_identities_are_screened_by_the_row_path(db: Db) -> None:
    bulk, by_rows = twins(
        db,
        PEOPLE_DDL,
        PEOPLE_ROWS,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE),
        [people([None, 4], ["Nil", "Dee"])],
    )

    assert bulk.results[0].results == [REJ, INS]
    assert "identity column 'id' is empty" in bulk.results[0].messages[0]
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    assert bulk.arrow_loads == 0


def test_identities_repeated_in_a_batch_are_screened_by_the_row_path(db: Db) -> None:
    bulk, by_rows = twins(
        db,
        PEOPLE_DDL,
        PEOPLE_ROWS,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE),
        [people([5, 5, 1], ["First", "Last", "Annie"])],
    )

    assert bulk.results[0].results == [SKIP, INS, UPD]
    assert bulk.results[0].messages == {0: "record 1 of this batch has the same identity"}
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    assert bulk.row_loads == 0  # the records the screen kept go together, from Arrow


def test_identities_of_several_columns_repeated_in_a_batch_are_screened(db: Db) -> None:
    ddl = "(a INTEGER NOT NULL, b VARCHAR(10) NOT NULL, v INTEGER, PRIMARY KEY (a, b))"
    columns = (
        WriteColumn("a", pa.int64()),
        WriteColumn("b", pa.string()),
        WriteColumn("v", pa.int64()),
    )
    plan = lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns, ("a", "b"))  # noqa: E731
    repeated = {"a": [1, 1, 1], "b": ["x", "y", "x"], "v": [1, 2, 3]}
    distinct = {"a": [1, 1, 2], "b": ["x", "y", "x"], "v": [1, 2, 3]}

    screened, screened_by_rows = twins(db, ddl, None, plan, [repeated], "a, b, v", "a, b")
    loaded, loaded_by_rows = twins(db, ddl, None, plan, [distinct], "a, b, v", "a, b")

    assert screened.results[0].results == [SKIP, INS, INS]
    assert (screened.results, screened.rows) == (screened_by_rows.results, screened_by_rows.rows)
    assert screened.row_loads == 0  # the records the screen kept go together, from Arrow
    assert loaded.results[0].results == [INS, INS, INS]
    assert (loaded.results, loaded.rows) == (loaded_by_rows.results, loaded_by_rows.rows)
    assert loaded.arrow_loads > 0


# ------------------------------------------------------------ bad records

REFUSED = {
    "postgresql": (
        "(id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL CHECK (name <> 'bad'), score INTEGER)"
    ),
    "mysql": (
        "(id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL CHECK (name <> 'bad'), score INTEGER)"
    ),
}
BAD_NAME = {"postgresql": "bad", "mysql": "bad"}


@pytest.mark.parametrize(
    "mode", [SyncMode.UPDATE_OR_CREATE, SyncMode.CREATE, SyncMode.APPEND, SyncMode.REPLACE]
)
@pytest.mark.parametrize("fault", ["null", "refused value"])
def test_a_bad_record_falls_back_to_the_row_path_with_its_results_and_messages(
    db: Db, mode: SyncMode, fault: str
) -> None:
    bad = None if fault == "null" else BAD_NAME[db.type_id]
    names = ["A", "B", "C", bad, "E", "F", "G"]

    bulk, by_rows = twins(
        db,
        REFUSED[db.type_id],
        "(1, 'Ann', 10)",
        lambda t: plan_for(t, mode),
        [people(list(range(10, 17)), names)],
    )

    assert bulk.results[0].results == [INS, INS, INS, REJ, INS, INS, INS]
    assert list(bulk.results[0].messages) == [3]
    assert bulk.results == by_rows.results
    assert bulk.rows == by_rows.rows
    # NOT NULL is certain from the column where the mode writes every value: screened in
    # Arrow. Otherwise the whole batch is tried in bulk first. The good records then go
    # together from Arrow; a record is attempted alone (as a row) only to be refused.
    assert bulk.arrow_loads > 0


def test_a_bad_record_in_the_last_slice_undoes_the_slices_sent_before_it(db: Db) -> None:
    size = 3 * SLICE_ROWS + 5
    names = [f"n{n % 1000}" for n in range(size)]
    names[-2] = BAD_NAME[db.type_id]

    bulk, by_rows = twins(
        db,
        REFUSED[db.type_id],
        None,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE),
        [people(list(range(size)), names)],
    )

    expected = [INS] * size
    expected[-2] = REJ
    assert bulk.results[0].results == expected
    assert bulk.results == by_rows.results
    # The slices loaded before the refusal were rolled back: no record twice.
    assert len(bulk.rows) == size - 1
    assert bulk.rows == by_rows.rows
    assert bulk.arrow_loads > 0


def test_a_record_clashing_with_a_row_in_append_mode_is_rejected_alone(db: Db) -> None:
    bulk, by_rows = twins(
        db,
        PEOPLE_DDL,
        PEOPLE_ROWS,
        lambda t: plan_for(t, SyncMode.APPEND),
        [people([4, 1, 5], ["Dee", "Dup", "Eve"])],
    )

    assert bulk.results[0].results == [INS, REJ, INS]
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)


# ------------------------------------------------------------ exact values

TEXTS = [
    "",
    None,
    "plain",
    "quote \" and ' apostrophe",
    'a lone "',
    "comma, semicolon;",
    "line1\nline2",
    "cr\r\nlf\r",
    "back\\slash\\",
    "\\N",
    "NULL",
    "\\.",
    "tab\tand\x01\x1f\x7f controls",
    "unicode ü ß 漢字 😀",
    "  spaces around  ",
    "\\\\N",
]
SIZE = len(TEXTS)


def cycle(values: list[Any]) -> list[Any]:
    """`values` repeated to the length of `TEXTS`."""
    return [values[i % len(values)] for i in range(SIZE)]


EVERY_TYPE = (
    WriteColumn("id", pa.int64()),
    WriteColumn("flag", pa.bool_()),
    WriteColumn("small", pa.int16()),
    WriteColumn("medium", pa.int32()),
    WriteColumn("big", pa.int64()),
    WriteColumn("unsigned", pa.uint64()),
    WriteColumn("single", pa.float32()),
    WriteColumn("double", pa.float64()),
    WriteColumn("money", pa.decimal128(10, 2)),
    WriteColumn("huge", pa.decimal128(38, 10)),
    WriteColumn("text", pa.string()),
    WriteColumn("at", pa.timestamp("us", tz="UTC")),
    WriteColumn("local", pa.timestamp("us")),
    WriteColumn("day", pa.date32()),
    WriteColumn("clock", pa.time64("us")),
)
FINITE = [0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1e-7, 1e16, -123.456, None]
SPECIAL = [math.inf, -math.inf, math.nan]
INSTANTS = [
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
    dt.datetime(1900, 1, 1),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 2, 29, 12, 0, 0, 1),
    None,
]
DECIMALS = [
    Decimal("-9999999999999999999999999999.9999999999"),
    Decimal("9999999999999999999999999999.9999999999"),
    Decimal("0E-10"),
    Decimal("1E-10"),
    Decimal("-0.0000000001"),
    None,
]


def every_type_values(type_id: str) -> dict[str, list[Any]]:
    floats = FINITE + (SPECIAL if type_id == "postgresql" else [])
    return {
        "id": list(range(SIZE)),
        "flag": cycle([True, False, None]),
        "small": cycle([-32768, 32767, 0, None]),
        "medium": cycle([-(2**31), 2**31 - 1, None]),
        "big": cycle([-(2**63), 2**63 - 1, None]),
        "unsigned": cycle([2**64 - 1, 0, None]),
        "single": cycle([0.1, -0.0, 3.4e38, 1e-7, None]),
        "double": cycle(floats),
        "money": cycle([Decimal("-99999999.99"), Decimal("0.01"), Decimal("0.00"), None]),
        "huge": cycle(DECIMALS),
        "text": TEXTS,
        "at": cycle([None if i is None else i.replace(tzinfo=UTC) for i in INSTANTS]),
        "local": cycle(INSTANTS),
        "day": cycle([dt.date(1, 1, 1), dt.date(1969, 12, 31), dt.date(9999, 12, 31), None]),
        "clock": cycle([dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(1, 2, 3, 4), None]),
    }


def as_text(db: Db, columns: tuple[WriteColumn, ...]) -> str:
    """A select list reading every column as the database's own text."""
    kind = "text" if db.type_id == "postgresql" else "char"
    return ", ".join(f"CAST({db.q(c.name)} AS {kind})" for c in columns)


def comparable(value: Any) -> Any:
    """Floats by their exact spelling, so -0.0, NaN and infinities compare."""
    return repr(value) if isinstance(value, float) else value


def created_twins(
    db: Db, columns: tuple[WriteColumn, ...], values: dict[str, list[Any]]
) -> tuple[Run, Run, list[Table]]:
    """The twins of `twins`, in tables the writers create from the Arrow types."""
    runs, tables = [], []
    for bulk in (True, False):
        name = unique_name("bt")
        table = Table(f"{db.schema}.{name}", name, f"{db.q(db.schema)}.{db.q(name)}")
        create = {"schema": db.schema, "name": name}
        plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, columns, create=create)
        runs.append(write(db, table, plan, [values], bulk=bulk, columns=as_text(db, columns)))
        tables.append(table)
    return runs[0], runs[1], tables


def test_every_type_round_trips_exactly_through_the_bulk_path(db: Db) -> None:
    values = every_type_values(db.type_id)

    bulk, by_rows, [table, _] = created_twins(db, EVERY_TYPE, values)

    assert (bulk.arrow_loads, bulk.row_loads) == (1, 0)
    assert bulk.results == by_rows.results
    assert bulk.rows == by_rows.rows
    assert len(bulk.rows) == SIZE
    assert_stored(db, table, EVERY_TYPE, values)


def assert_stored(
    db: Db, table: Table, columns: tuple[WriteColumn, ...], values: dict[str, list[Any]]
) -> None:
    """`table` holds exactly `values`, as the database returns them."""
    expected = list(zip(*(values[c.name] for c in columns), strict=True))
    for got, want in zip(db.rows(table), expected, strict=True):
        for column, value, wanted in zip(columns, got, want, strict=True):
            if column.name in ("single", "clock"):
                continue  # compared with the row path only: float4 and time spellings
            if db.type_id == "mysql":
                wanted = _as_mysql_returns(column, wanted)
            assert comparable(value) == comparable(wanted), column.name


def _as_mysql_returns(column: WriteColumn, value: Any) -> Any:
    if value is None:
        return None
    if column.name == "flag":
        return int(value)
    if column.name == "at":
        return value.replace(tzinfo=None)
    if column.name == "double" and value == 0:
        return 0.0  # MariaDB keeps no negative zero
    return value


def test_instants_in_another_zone_are_stored_as_the_row_path_stores_them(db: Db) -> None:
    paris = ZoneInfo("Europe/Paris")
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("at", pa.timestamp("ms", tz="Europe/Paris")),
        WriteColumn("wall", pa.timestamp("s", tz="+05:30")),
    )
    summer = dt.datetime(2024, 7, 1, 2, 30, 15, 123000, tzinfo=paris)
    values = {
        "id": [1, 2, 3],
        "at": [summer, dt.datetime(1950, 1, 1, tzinfo=paris), None],
        "wall": [dt.datetime(2024, 1, 1, tzinfo=UTC), None, dt.datetime(1960, 5, 5, tzinfo=UTC)],
    }

    bulk, by_rows, [table, _] = created_twins(db, columns, values)

    assert (bulk.arrow_loads, bulk.results, bulk.rows) == (1, by_rows.results, by_rows.rows)
    stored = db.rows(table)
    if db.type_id == "postgresql":
        assert stored[0][1] == summer
    else:
        assert stored[0][1] == dt.datetime(2024, 7, 1, 0, 30, 15, 123000)


def test_booleans_and_numbers_in_text_columns_are_spelled_as_the_driver_spells_them(
    db: Db,
) -> None:
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("flag", pa.bool_()),
        WriteColumn("count", pa.int32()),
        WriteColumn("word", pa.string()),
    )
    ddl = "(id INTEGER PRIMARY KEY, flag VARCHAR(10), count VARCHAR(20), word VARCHAR(20))"
    values = {"id": [1, 2, 3], "flag": [True, False, None], "count": [-5, 0, None]}
    values["word"] = ["", None, "x"]

    bulk, by_rows = twins(
        db, ddl, None, lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns), [values]
    )

    assert (bulk.arrow_loads, bulk.rows) == (1, by_rows.rows)
    flags = {"postgresql": ["t", "f", None], "mysql": ["1", "0", None]}[db.type_id]
    assert [row[1] for row in bulk.rows] == flags
    assert [row[3] for row in bulk.rows] == ["", None, "x"]


def test_floats_and_instants_in_text_columns_take_the_row_path(db: Db) -> None:
    columns = (WriteColumn("id", pa.int64()), WriteColumn("ratio", pa.float64()))
    ddl = "(id INTEGER PRIMARY KEY, ratio VARCHAR(30))"

    bulk, by_rows = twins(
        db,
        ddl,
        None,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns),
        [{"id": [1, 2], "ratio": [1.0, 1e-7]}],
    )

    assert (bulk.arrow_loads, bulk.rows) == (0, by_rows.rows)


def test_columns_csv_cannot_carry_exactly_take_the_row_path(db: Db) -> None:
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("blob", pa.binary()),
        WriteColumn("tags", pa.list_(pa.string())),
    )
    values = {"id": [1, 2], "blob": [b'\x00\xff,"\n', None], "tags": [["a", "b"], None]}

    bulk, by_rows, _ = created_twins(db, columns, values)

    assert (bulk.arrow_loads, bulk.row_loads) == (0, 1)
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
