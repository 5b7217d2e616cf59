"""Target filters restricting update and remove on PostgreSQL, MariaDB and SQLite.

Each filter function is checked through an update whose records carry only
the identity: the per-record results say which rows the filter lets through
(UPDATED) and which it holds back (SKIPPED), without changing the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import FilterFunction as F
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    RecordResult,
    TargetCondition,
    TargetFilter,
    WriteColumn,
)
from syncline.errors import ConnectorError
from tests.connectors.sql_fixtures import unique_name
from tests.connectors.sql_writer_fixtures import (
    DEL,
    DIALECTS,
    NF,
    SKIP,
    UPD,
    Db,
    Table,
    database,
    plan_for,
)

NOW = dt.datetime.now(dt.UTC)
COLUMNS = (
    WriteColumn("id", pa.int64()),
    WriteColumn("name", pa.string()),
    WriteColumn("score", pa.int64()),
    WriteColumn("flag", pa.bool_()),
    WriteColumn("at", pa.timestamp("us", tz="UTC")),
)
ROWS: dict[str, list[Any]] = {
    "id": [1, 2, 3, 4, 5, 6],
    "name": ["Ann", "bob", " Cy ", "a_%b", None, ""],
    "score": [10, 20, 30, None, 50, 60],
    "flag": [True, False, None, True, False, True],
    "at": [
        NOW - dt.timedelta(days=1),
        dt.datetime(2024, 1, 15, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 15, 23, 59, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 16, 0, 0, tzinfo=dt.UTC),
        None,
        NOW - dt.timedelta(days=30),
    ],
}
IDS = ROWS["id"]

CASES = [
    (F.EQUALITY, "name", "Ann", {1}),
    (F.INEQUALITY, "name", "Ann", {2, 3, 4, 5, 6}),
    (F.IS_NULL, "name", None, {5, 6}),
    (F.IS_NOT_NULL, "name", None, {1, 2, 3, 4}),
    (F.IS_NULL, "score", None, {4}),
    (F.TRUE, "flag", None, {1, 4, 6}),
    (F.FALSE, "flag", None, {2, 5}),
    (F.GREATER_THAN, "score", "20", {3, 5, 6}),
    (F.GREATER_THAN_EQUAL, "score", 20, {2, 3, 5, 6}),
    (F.LESS_THAN, "score", 20, {1}),
    (F.LESS_THAN_EQUAL, "score", "20", {1, 2}),
    (F.BETWEEN, "score", [20, 50], {2, 3, 5}),
    (F.STRING_CONTAINS, "name", "a", {4}),
    (F.STRING_CONTAINS, "name", "_%", {4}),
    (F.STRING_STARTS_WITH, "name", "A", {1}),
    (F.STRING_ENDS_WITH, "name", "b", {2, 4}),
    (F.STRING_DOES_NOT_CONTAIN, "name", "o", {1, 3, 4, 5, 6}),
    (F.STRING_DOES_NOT_START_WITH, "name", "a", {1, 2, 3, 5, 6}),
    (F.STRING_DOES_NOT_END_WITH, "name", "n", {2, 3, 4, 5, 6}),
    (F.STRING_ONE_OF, "name", ["Ann", "bob"], {1, 2}),
    (F.STRING_NOT_ONE_OF, "name", ["Ann", "bob"], {3, 4, 5, 6}),
    (F.STRING_LIKE, "name", "b_b", {2}),
    (F.STRING_LIKE, "name", "a\\_\\%%", {4}),
    (F.STRING_NOT_LIKE, "name", "%n%", {2, 3, 4, 5, 6}),
    (F.STRING_MATCHES_TRIMMED, "name", "Cy", {3}),
    (F.EQUALITY, "at", "2024-01-15", {2, 3}),
    (F.ON_OR_AFTER, "at", "2024-01-16", {1, 4, 6}),
    (F.ON_OR_BEFORE, "at", "2024-01-15", {2, 3}),
    (F.ON_OR_BEFORE, "at", "2024-01-15T12:00:00Z", {2}),
    (F.BETWEEN, "at", ["2024-01-15", "2024-01-15"], {2, 3}),
    (F.IN_THE_LAST, "at", "7d", {1}),
    (F.RELATIVE_ON_OR_AFTER, "at", "P2D", {1}),
    (F.RELATIVE_ON_OR_BEFORE, "at", "1w", {2, 3, 4, 6}),
]


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    with database(request.param, pg_config, mysql_config, tmp_path_factory.mktemp("w")) as db:
        yield db


def filled_table(db: Db) -> Table:
    """A new table holding `ROWS`, created and filled by a writer."""
    name = unique_name("f")
    table = Table(f"{db.schema}.{name}", name, f"{db.q(db.schema)}.{db.q(name)}")
    create = {"schema": db.schema, "name": name}
    db.write(plan_for(table, SyncMode.APPEND, COLUMNS, create=create), ROWS)
    return table


@pytest.fixture(scope="module")
def table(db: Db) -> Table:
    return filled_table(db)


def matching(db: Db, table: Table, target_filter: TargetFilter) -> set[int]:
    """The ids an update with `target_filter` would change."""
    plan = plan_for(table, SyncMode.UPDATE, COLUMNS[:1], target_filter=target_filter)
    [result] = db.write(plan, {"id": IDS})
    return {i for i, r in zip(IDS, result.results, strict=True) if r is RecordResult.UPDATED}


@pytest.mark.parametrize(
    ("function", "column", "value", "expected"),
    CASES,
    ids=[f"{f.value}-{c}-{v}" for f, c, v, _ in CASES],
)
def test_a_filter_function_lets_through_exactly_the_rows_it_describes(
    db: Db, table: Table, function: F, column: str, value: Any, expected: set[int]
) -> None:
    target_filter = TargetFilter({"A": TargetCondition(column, function, value)})

    assert matching(db, table, target_filter) == expected


def test_filter_logic_combines_conditions_with_and_or_and_parentheses(db: Db, table: Table) -> None:
    conditions = {
        "A": TargetCondition("name", F.STRING_STARTS_WITH, "A"),
        "B": TargetCondition("score", F.GREATER_THAN, 20),
        "C": TargetCondition("flag", F.FALSE),
    }

    assert matching(db, table, TargetFilter(conditions, "A or (B and C)")) == {1, 5}
    assert matching(db, table, TargetFilter(conditions, "(A or B) and C")) == {5}
    assert matching(db, table, TargetFilter(conditions)) == set()


def test_update_skips_matches_the_target_filter_excludes(db: Db) -> None:
    table = filled_table(db)
    conditions = {
        "A": TargetCondition("name", F.STRING_STARTS_WITH, "A"),
        "B": TargetCondition("score", F.GREATER_THAN, 20),
        "C": TargetCondition("flag", F.FALSE),
    }
    plan = plan_for(
        table,
        SyncMode.UPDATE,
        COLUMNS[:3],
        target_filter=TargetFilter(conditions, "A or (B and C)"),
    )

    [result] = db.write(plan, {"id": [1, 2, 5, 7], "name": ["N"] * 4, "score": [0] * 4})

    assert result.results == [UPD, SKIP, UPD, NF]
    assert db.rows(table, "id, name, score") == [
        (1, "N", 0),
        (2, "bob", 20),
        (3, " Cy ", 30),
        (4, "a_%b", None),
        (5, "N", 0),
        (6, "", 60),
    ]


def test_remove_deletes_only_matches_the_target_filter_lets_through(db: Db) -> None:
    table = filled_table(db)
    conditions = {
        "A": TargetCondition("flag", F.TRUE),
        "B": TargetCondition("score", F.LESS_THAN, 50),
    }
    plan = plan_for(
        table, SyncMode.REMOVE, COLUMNS[:1], target_filter=TargetFilter(conditions, "A and B")
    )

    [result] = db.write(plan, {"id": [1, 2, 4, 6, 9]})

    assert result.results == [DEL, SKIP, SKIP, SKIP, NF]
    assert [row[0] for row in db.rows(table, "id")] == [2, 3, 4, 5, 6]


def test_a_filter_on_an_unknown_column_is_refused_when_the_writer_opens(
    db: Db, table: Table
) -> None:
    target_filter = TargetFilter({"A": TargetCondition("nope", F.IS_NULL)})

    with pytest.raises(ConnectorError, match=r"'A'.*no column 'nope'"):
        matching(db, table, target_filter)


def test_a_filter_function_unsuited_to_the_column_type_is_refused(db: Db, table: Table) -> None:
    target_filter = TargetFilter({"A": TargetCondition("score", F.STRING_CONTAINS, "1")})

    with pytest.raises(ConnectorError, match="StringContains does not apply to number"):
        matching(db, table, target_filter)


def test_a_target_filter_on_a_mode_without_one_is_refused(db: Db, table: Table) -> None:
    target_filter = TargetFilter({"A": TargetCondition("score", F.IS_NULL)})
    plan = plan_for(table, SyncMode.UPDATE_OR_CREATE, COLUMNS[:1], target_filter=target_filter)

    with pytest.raises(ConnectorError, match="takes no target filter"):
        db.connector.open_writer(plan)
