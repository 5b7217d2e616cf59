"""Model filters compiled to vectorized predicates: every function, NULLs and logic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import FilterFunction as F
from syncline.engine.errors import EngineError
from syncline.engine.filters import compile_filter
from syncline.engine.spec import Condition, RowFilter

NOW = datetime(2024, 2, 3, tzinfo=UTC)
UTC_US = pa.timestamp("us", tz="UTC")

# Row 2 is NULL in every column: it must fail every condition except IsNull.
BATCH = pa.RecordBatch.from_pydict(
    {
        "s": pa.array(["apple", "Banana", None, " pear ", "apricot"]),
        "n": pa.array([1, 5, None, 10, 7], pa.int64()),
        "x": pa.array([1.5, 5.0, None, 10.25, 7.0], pa.float64()),
        "b": pa.array([True, False, None, True, False]),
        "t": pa.array(
            [
                datetime(2024, 1, 1, tzinfo=UTC),
                datetime(2024, 1, 15, 12, tzinfo=UTC),
                None,
                datetime(2024, 2, 1, tzinfo=UTC),
                datetime(2023, 12, 31, 23, 59, tzinfo=UTC),
            ],
            UTC_US,
        ),
        "naive": pa.array(
            [datetime(2024, 1, 1, 8), datetime(2024, 1, 1, 10), None, None, None],
            pa.timestamp("ms"),
        ),
        "d": pa.array(
            [date(2024, 1, 1), date(2024, 1, 15), None, date(2024, 2, 1), date(2023, 12, 31)]
        ),
        "tags": pa.array([["a", "b"], [], None, ["c"], ["a", None]], pa.list_(pa.string())),
        "ids": pa.array([[1, 2], [3], None, [], [2]], pa.large_list(pa.int32())),
    }
)

T, _ = True, False

CASES: list[tuple[F, str, Any, list[bool]]] = [
    (F.IS_NULL, "s", None, [_, _, T, _, _]),
    (F.IS_NOT_NULL, "s", None, [T, T, _, T, T]),
    (F.EQUALITY, "s", "apple", [T, _, _, _, _]),
    (F.EQUALITY, "n", "5", [_, T, _, _, _]),
    (F.EQUALITY, "b", True, [T, _, _, T, _]),
    (F.INEQUALITY, "s", "apple", [_, T, _, T, T]),
    (F.INEQUALITY, "n", 5, [T, _, _, T, T]),
    (F.TRUE, "b", None, [T, _, _, T, _]),
    (F.FALSE, "b", None, [_, T, _, _, T]),
    (F.GREATER_THAN, "n", 5, [_, _, _, T, T]),
    (F.GREATER_THAN, "n", 6.5, [_, _, _, T, T]),
    (F.GREATER_THAN_EQUAL, "n", 5, [_, T, _, T, T]),
    (F.LESS_THAN, "x", 5, [T, _, _, _, _]),
    (F.LESS_THAN_EQUAL, "x", "5.0", [T, T, _, _, _]),
    (F.BETWEEN, "n", [5, 10], [_, T, _, T, T]),
    (F.STRING_CONTAINS, "s", "an", [_, T, _, _, _]),
    (F.STRING_CONTAINS, "s", "AN", [_, _, _, _, _]),
    (F.STRING_STARTS_WITH, "s", "ap", [T, _, _, _, T]),
    (F.STRING_ENDS_WITH, "s", "a", [_, T, _, _, _]),
    (F.STRING_DOES_NOT_CONTAIN, "s", "an", [T, _, _, T, T]),
    (F.STRING_DOES_NOT_START_WITH, "s", "ap", [_, T, _, T, _]),
    (F.STRING_DOES_NOT_END_WITH, "s", "a", [T, _, _, T, T]),
    (F.STRING_ONE_OF, "s", ["apple", "pear"], [T, _, _, _, _]),
    (F.STRING_NOT_ONE_OF, "s", ["apple"], [_, T, _, T, T]),
    (F.STRING_LIKE, "s", "ap%", [T, _, _, _, T]),
    (F.STRING_LIKE, "s", "_anana", [_, T, _, _, _]),
    (F.STRING_NOT_LIKE, "s", "ap%", [_, T, _, T, _]),
    (F.STRING_MATCHES_TRIMMED, "s", "pear", [_, _, _, T, _]),
    (F.STRING_MATCHES_TRIMMED, "s", "  pear", [_, _, _, T, _]),
    (F.ARRAY_CONTAINS, "tags", "a", [T, _, _, _, T]),
    (F.ARRAY_CONTAINS, "ids", "2", [T, _, _, _, T]),
    (F.ARRAY_DOES_NOT_CONTAIN, "tags", "a", [_, T, _, T, _]),
    (F.ON_OR_AFTER, "t", "2024-01-15", [_, T, _, T, _]),
    (F.ON_OR_AFTER, "d", "2024-01-15", [_, T, _, T, _]),
    (F.ON_OR_BEFORE, "t", "2024-01-15", [T, T, _, _, T]),
    (F.ON_OR_BEFORE, "t", "2024-01-15T00:00:00Z", [T, _, _, _, T]),
    (F.ON_OR_BEFORE, "d", "2024-01-01", [T, _, _, _, T]),
    (F.BETWEEN, "t", ["2024-01-01", "2024-01-15"], [T, T, _, _, _]),
    (F.EQUALITY, "t", "2024-02-01T01:00:00+01:00", [_, _, _, T, _]),
    (F.INEQUALITY, "d", "2024-01-01", [_, T, _, T, T]),
    (F.GREATER_THAN, "t", "2024-01-01", [_, T, _, T, _]),
    (F.ON_OR_AFTER, "naive", "2024-01-01T11:00:00+02:00", [_, T, _, _, _]),
    (F.IN_THE_LAST, "t", "7d", [_, _, _, T, _]),
    (F.IN_THE_LAST, "d", "P3W", [_, T, _, T, _]),
    (F.RELATIVE_ON_OR_AFTER, "t", "20d", [_, T, _, T, _]),
    (F.RELATIVE_ON_OR_BEFORE, "t", "20d", [T, _, _, _, T]),
]


def mask(row_filter: RowFilter) -> list[bool]:
    predicate = compile_filter(row_filter, BATCH.schema, NOW)
    assert predicate is not None
    result = predicate(BATCH)
    assert result.null_count == 0
    return list(result.to_pylist())


def one(function: F, field: str, value: Any = None) -> RowFilter:
    return RowFilter({"A": Condition(field, function, value)})


@pytest.mark.parametrize(
    ("function", "field", "value", "expected"),
    CASES,
    ids=[f"{f.value}-{field}-{value}" for f, field, value, _ in CASES],
)
def test_filter_function_selects_expected_rows_and_fails_nulls(
    function: F, field: str, value: Any, expected: list[bool]
) -> None:
    assert mask(one(function, field, value)) == expected


def test_every_filter_function_is_covered() -> None:
    assert {function for function, *_ in CASES} == set(F)


def test_filter_on_dictionary_encoded_column_compares_values() -> None:
    batch = pa.RecordBatch.from_pydict({"s": pa.array(["a", "b", None]).dictionary_encode()})
    predicate = compile_filter(one(F.STRING_ONE_OF, "s", ["b"]), batch.schema, NOW)
    assert predicate is not None
    assert predicate(batch).to_pylist() == [False, True, False]


def test_array_contains_on_sliced_batch_uses_the_slice_rows() -> None:
    predicate = compile_filter(one(F.ARRAY_CONTAINS, "tags", "a"), BATCH.schema, NOW)
    assert predicate is not None
    assert predicate(BATCH.slice(3, 2)).to_pylist() == [False, True]


def test_empty_logic_requires_every_condition() -> None:
    conditions = {
        "A": Condition("n", F.GREATER_THAN, 1),
        "B": Condition("s", F.STRING_STARTS_WITH, "ap"),
    }
    assert mask(RowFilter(conditions)) == [_, _, _, _, T]


def test_logic_combines_conditions_with_and_or_and_parentheses() -> None:
    conditions = {
        "A": Condition("n", F.EQUALITY, 1),
        "B": Condition("b", F.TRUE),
        "C": Condition("s", F.STRING_CONTAINS, "an"),
    }
    assert mask(RowFilter(conditions, "A or C")) == [T, T, _, _, _]
    assert mask(RowFilter(conditions, "B and (A or C)")) == [T, _, _, _, _]
    assert mask(RowFilter(conditions, "(B and A) or C")) == [T, T, _, _, _]


def test_no_conditions_compile_to_no_predicate() -> None:
    assert compile_filter(None, BATCH.schema, NOW) is None
    assert compile_filter(RowFilter({}), BATCH.schema, NOW) is None


def test_logic_naming_unknown_condition_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="unknown conditions: Z"):
        compile_filter(RowFilter({"A": Condition("n", F.IS_NULL)}, "A or Z"), BATCH.schema, NOW)


def test_invalid_logic_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="filter logic"):
        compile_filter(RowFilter({"A": Condition("n", F.IS_NULL)}, "A or"), BATCH.schema, NOW)


def test_filter_on_missing_field_is_an_engine_error_naming_it() -> None:
    with pytest.raises(EngineError, match="filter 'A': the model has no field 'missing'"):
        compile_filter(one(F.IS_NULL, "missing"), BATCH.schema, NOW)


@pytest.mark.parametrize(
    ("function", "field", "value"),
    [
        (F.GREATER_THAN, "n", "many"),
        (F.ON_OR_AFTER, "s", "2024-01-01"),
        (F.ON_OR_AFTER, "t", "yesterday"),
        (F.IN_THE_LAST, "t", "1 month"),
        (F.IN_THE_LAST, "n", "7d"),
        (F.BETWEEN, "n", [1]),
        (F.ARRAY_CONTAINS, "s", "a"),
        (F.STRING_ONE_OF, "s", []),
    ],
)
def test_operand_unsuited_to_field_is_an_engine_error(function: F, field: str, value: Any) -> None:
    with pytest.raises(EngineError, match=f"filter 'A': {function.value} cannot be applied"):
        compile_filter(one(function, field, value), BATCH.schema, NOW)
