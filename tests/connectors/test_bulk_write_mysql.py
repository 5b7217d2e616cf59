"""MariaDB's bulk path, `LOAD DATA LOCAL INFILE`: what it may send, what it
does with values it would truncate, and how it steps aside when it cannot
be used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pymysql
import pytest

from syncline.connectors.mysql.load_data import LocalDataConnection
from syncline.connectors.mysql.writer import MysqlWriter
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WriteColumn
from tests.connectors.bulk_write_fixtures import count_calls, people, twins, write
from tests.connectors.sql_writer_fixtures import INS, PEOPLE, REJ, Db, database, plan_for


@pytest.fixture(scope="module")
def db(
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database("mysql", pg_config, mysql_config, tmp_path_factory.mktemp("m")) as db:
        yield db


def test_the_server_never_gets_a_file_it_names(db: Db, tmp_path: Path) -> None:
    table = db.table("(line TEXT)", None)
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret\n")
    load = f"LOAD DATA LOCAL INFILE '{secret}' INTO TABLE {table.sql}"
    plan = plan_for(table, SyncMode.APPEND, (WriteColumn("line", pa.string()),))

    with db.connector.open_writer(plan) as writer:
        conn = writer.conn
        assert isinstance(conn, LocalDataConnection)
        with pytest.raises(pymysql.err.OperationalError) as asked:
            conn.query(load)
        with pytest.raises(pymysql.err.OperationalError) as offered_another:
            conn.load_local(load, "offered.csv", [memoryview(b"offered\n")])
        conn.query("SELECT 1")  # still usable

    assert asked.value.args[0] == offered_another.value.args[0] == 2068
    assert db.rows(table, order="line") == []


@pytest.mark.parametrize(
    ("ddl", "column", "values", "results"),
    [
        ("VARCHAR(3)", WriteColumn("code", pa.string()), ["ok", "toolong", "ok"], [INS, REJ, INS]),
        ("TINYINT", WriteColumn("code", pa.int64()), [1, 300, 2], [INS, REJ, INS]),
        (
            "DATE",
            WriteColumn("code", pa.string()),
            ["2024-01-01", "2024-13-45", None],
            [INS, REJ, INS],
        ),
        ("INT", WriteColumn("code", pa.string()), ["12", "12abc", "-1"], [INS, REJ, INS]),
        # A statement rounds this one with a note; LOAD DATA warns, so rows decide.
        ("DECIMAL(4,2)", WriteColumn("code", pa.float64()), [1.5, 1.005, None], [INS, INS, INS]),
    ],
)
def test_a_value_load_data_would_change_is_written_as_a_statement_writes_it(
    db: Db, ddl: str, column: WriteColumn, values: list[Any], results: list[Any]
) -> None:
    columns = (WriteColumn("id", pa.int64()), column)

    bulk, by_rows = twins(
        db,
        f"(id INTEGER PRIMARY KEY, code {ddl})",
        None,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns),
        [{"id": [1, 2, 3], "code": values}],
    )

    assert bulk.results[0].results == results
    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    # A value too long or out of range is certain from the column: screened before any load.
    assert bulk.arrow_loads > 0
    assert bulk.row_loads > 0 or ddl in ("VARCHAR(3)", "TINYINT")


class _NoLocalDataWriter(MysqlWriter):
    """A writer whose connection does not offer local files, so the server
    refuses every LOAD DATA LOCAL."""

    def _connect(self) -> DbConnection:
        conn = super()._connect()
        conn.close()
        arguments = self.target._connect_arguments()  # type: ignore[attr-defined]
        return LocalDataConnection(**arguments, local_infile=False)


def test_a_refused_load_data_falls_back_to_statements_for_the_rest_of_the_run(db: Db) -> None:
    table = db.table(rows=None)
    plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, PEOPLE)

    with _NoLocalDataWriter.open(db.connector, plan) as writer:
        arrow_loads = count_calls(writer, "_load_arrow")
        first = writer.write(pa.RecordBatch.from_pydict(people([1, 2], ["Ann", "Bob"])))
        loads_after_first = len(arrow_loads)
        second = writer.write(pa.RecordBatch.from_pydict(people([3], ["Cy"])))

    assert (first.results, second.results) == ([INS, INS], [INS])
    assert loads_after_first > 0
    assert len(arrow_loads) == loads_after_first
    assert db.rows(table) == [(1, "Ann", 10), (2, "Bob", 20), (3, "Cy", 30)]


def test_a_table_that_cannot_roll_back_is_written_by_statements(db: Db) -> None:
    table = db.table(
        "(id INTEGER PRIMARY KEY, name VARCHAR(5) NOT NULL, score INTEGER) ENGINE=Aria", None
    )

    run = write(db, table, plan_for(table, SyncMode.APPEND), [people([1, 2], ["Ann", "Bob"])])

    assert run.results[0].results == [INS, INS]
    assert (run.arrow_loads, run.row_loads) == (0, 1)
    assert run.rows == [(1, "Ann", 10), (2, "Bob", 20)]


@pytest.mark.parametrize(
    ("ddl", "arrow_type", "values"),
    [
        ("BIT(8)", pa.int64(), [5, 0, None]),
        ("BIT(1)", pa.bool_(), [True, False, None]),
        ("ENUM('0', '1', '2')", pa.int64(), [1, 2, None]),
        ("SET('a', 'b')", pa.int64(), [1, 3, None]),
        ("YEAR", pa.int64(), [0, 24, None]),
    ],
)
def test_numbers_go_by_statements_to_columns_that_read_them_unlike_their_digits(
    db: Db, ddl: str, arrow_type: pa.DataType, values: list[Any]
) -> None:
    columns = (WriteColumn("id", pa.int64()), WriteColumn("code", arrow_type))

    bulk, by_rows = twins(
        db,
        f"(id INTEGER PRIMARY KEY, code {ddl})",
        None,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns),
        [{"id": [1, 2, 3], "code": values}],
        columns="id, CAST(code AS CHAR)",
    )

    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    assert (bulk.arrow_loads, bulk.row_loads) == (0, 1)


def test_text_goes_by_load_data_even_to_columns_that_read_numbers_unlike_their_digits(
    db: Db,
) -> None:
    columns = (WriteColumn("id", pa.int64()), WriteColumn("code", pa.string()))

    bulk, by_rows = twins(
        db,
        "(id INTEGER PRIMARY KEY, code ENUM('0', '1', '2'))",
        None,
        lambda t: plan_for(t, SyncMode.UPDATE_OR_CREATE, columns),
        [{"id": [1, 2, 3], "code": ["2", "0", None]}],
    )

    assert (bulk.results, bulk.rows) == (by_rows.results, by_rows.rows)
    assert bulk.rows == [(1, "2"), (2, "0"), (3, None)]
    assert (bulk.arrow_loads, bulk.row_loads) == (1, 0)
