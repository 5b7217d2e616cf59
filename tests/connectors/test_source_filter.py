"""Model filters pushed down into SQL sources: only ever as wide as the engine's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.base import Field
from syncline.connectors.mysql import MysqlConnector
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.sql.source_filter import SourceFilterDialect, pushable, where_clause
from syncline.connectors.vocabulary import FieldType, FilterFunction
from syncline.connectors.writing import TargetCondition, TargetFilter
from syncline.errors import ConnectorError
from tests.conftest import temporary_maria_database

F = FilterFunction
FIELDS = {
    "id": Field("id", FieldType.NUMBER, "bigint", pa.int64()),
    "name": Field("name", FieldType.STRING, "text", pa.string()),
}
EQ = TargetCondition("id", F.EQUALITY, 1)
CONTAINS = TargetCondition("name", F.STRING_CONTAINS, "a")
BELOW = TargetCondition("id", F.LESS_THAN, 9)


def test_only_conditions_as_wide_as_the_engines_are_pushed() -> None:
    narrowed = pushable(TargetFilter({"A": EQ, "B": CONTAINS}, "A and B"), FIELDS)
    assert narrowed == TargetFilter({"A": EQ}, "A")


def test_an_or_with_a_condition_left_out_is_not_pushed() -> None:
    assert pushable(TargetFilter({"A": EQ, "B": CONTAINS}, "A or B"), FIELDS) is None


def test_nested_logic_keeps_what_it_can() -> None:
    where = TargetFilter({"A": EQ, "B": CONTAINS, "C": BELOW}, "(A or C) and B")
    narrowed = pushable(where, FIELDS)
    assert narrowed is not None
    assert set(narrowed.conditions) == {"A", "C"}
    assert narrowed.logic.replace("(", "").replace(")", "") == "A or C"


def test_empty_logic_means_all_conditions() -> None:
    narrowed = pushable(TargetFilter({"A": EQ, "B": CONTAINS, "C": BELOW}), FIELDS)
    assert narrowed is not None
    assert set(narrowed.conditions) == {"A", "C"}


def test_conditions_on_unknown_fields_are_not_pushed() -> None:
    where = TargetFilter({"A": TargetCondition("nope", F.EQUALITY, 1)})
    assert pushable(where, FIELDS) is None


def test_a_condition_that_cannot_be_pushed_is_called_a_model_filter() -> None:
    between = TargetCondition("id", F.BETWEEN, [1])  # Between takes two values
    dialect = SourceFilterDialect("%s", lambda name: f'"{name}"', lambda value: value)
    with pytest.raises(ConnectorError, match=r"^model filter 'A': "):
        where_clause(TargetFilter({"A": between}), FIELDS, dialect, datetime.now(UTC))


def test_postgresql_evaluates_the_filter_before_reading_rows(pg_config: dict[str, Any]) -> None:
    source = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
    # Rows above 5 divide by zero, so reading them fails: only a pushed-down filter avoids it.
    query = (
        "SELECT id, CASE WHEN id > 5 THEN 1 / (id - id) ELSE id END AS value"
        " FROM generate_series(1, 10) AS g(id)"
    )
    where = TargetFilter({"A": TargetCondition("id", F.LESS_THAN_EQUAL, 5)})
    rows = source.read({"query": query}, where=where).read_all().to_pylist()
    assert [row["id"] for row in rows] == [1, 2, 3, 4, 5]
    with pytest.raises(ConnectorError, match="division by zero"):
        source.read({"query": query}).read_all()


def test_mysql_reads_only_rows_that_can_pass(mysql_config: dict[str, Any]) -> None:
    with temporary_maria_database(
        "pushdown",
        "CREATE TABLE {database}.t (id INT PRIMARY KEY, plan VARCHAR(10))",
        "INSERT INTO {database}.t VALUES (1, 'pro'), (2, 'free'), (3, 'pro'), (4, NULL)",
    ) as database:
        source = MysqlConnector(MysqlConfig.model_validate({**mysql_config, "dbname": database}))
        where = TargetFilter(
            {
                "A": TargetCondition("plan", F.STRING_ONE_OF, ["pro"]),
                "B": TargetCondition("id", F.GREATER_THAN, 1),
            },
            "A and B",
        )
        rows = source.read({"table": f"{database}.t"}, where=where, limit=10).read_all()
        assert rows.to_pylist() == [{"id": 3, "plan": "pro"}]
