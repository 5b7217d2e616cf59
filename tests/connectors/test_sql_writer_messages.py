"""A record's rejection names the user's table, never a staging table Syncline made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WriteColumn
from tests.connectors.sql_writer_fixtures import DIALECTS, REJ, Db, database, plan_for

COLUMNS = (
    WriteColumn("id", pa.int64()),
    WriteColumn("code", pa.string()),
    WriteColumn("n", pa.int64()),
)
DDL = (
    "(id INTEGER PRIMARY KEY, code VARCHAR(5) NOT NULL CHECK (length(code) > 1), n INTEGER UNIQUE)"
)
BATCH = {
    "id": [1, 2, 3, 4, 5],
    "code": ["x", None, "ok", "ok2", "ok3"],  # too short, missing
    "n": [7, 8, 1, 10, 10],  # 1 is taken, 10 comes twice
}


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("m")) as db:
        yield db


@pytest.mark.parametrize("mode", [SyncMode.REPLACE, SyncMode.UPDATE_OR_CREATE, SyncMode.APPEND])
@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "rows"])
def test_a_rejected_record_names_the_target_table_not_a_staging_table(
    db: Db, mode: SyncMode, bulk: bool
) -> None:
    table = db.table(DDL, "(9, 'aa', 1)")
    plan = plan_for(table, mode, COLUMNS)

    with db.connector.open_writer(plan) as writer:
        writer._bulk = writer._bulk and bulk
        result = writer.write(_batch(plan.columns))
        writer.finish()

    assert [result.results[i] for i in (0, 1)] == [REJ, REJ]
    messages = list(result.messages.values())
    assert not [m for m in messages if "syncline_stage" in m]
    named = [m for m in messages if table.name in m]
    # Each database names the table in some of its messages (PostgreSQL: check and
    # not-null; MariaDB: check; SQLite: not-null and unique), and then it is the target.
    assert named, messages


def _batch(columns: tuple[WriteColumn, ...]) -> pa.RecordBatch:
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
    return pa.RecordBatch.from_pydict(BATCH, schema=schema)
