"""Value overrides: conditional replacement, typing of the replacement, precedence."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from syncline.connectors.vocabulary import FilterFunction as F
from syncline.engine.errors import EngineError
from syncline.engine.overrides import apply_overrides
from syncline.engine.spec import ValueOverride

BATCH = pa.RecordBatch.from_pydict(
    {
        "name": pa.array(["ann", "bob", None]),
        "age": pa.array([30, None, 50], pa.int64()),
        "seen": pa.array([None, datetime(2024, 1, 1, tzinfo=UTC), None], pa.timestamp("us", "UTC")),
    }
)


def test_override_replaces_values_where_its_condition_holds() -> None:
    result = apply_overrides(BATCH, [ValueOverride("name", "unknown", F.IS_NULL)])
    assert result.column("name").to_pylist() == ["ann", "bob", "unknown"]


def test_override_replacement_is_converted_to_the_field_type() -> None:
    result = apply_overrides(BATCH, [ValueOverride("age", "0", F.IS_NULL)])
    assert result.column("age").type == pa.int64()
    assert result.column("age").to_pylist() == [30, 0, 50]


def test_override_of_a_timestamp_takes_an_iso_replacement() -> None:
    result = apply_overrides(BATCH, [ValueOverride("seen", "2020-01-01T00:00:00Z", F.IS_NULL)])
    assert result.column("seen").to_pylist()[0] == datetime(2020, 1, 1, tzinfo=UTC)


def test_override_without_function_replaces_every_value() -> None:
    result = apply_overrides(BATCH, [ValueOverride("name", "x")])
    assert result.column("name").to_pylist() == ["x", "x", "x"]


def test_first_matching_override_wins_and_conditions_see_values_as_read() -> None:
    overrides = [
        ValueOverride("age", 1, F.GREATER_THAN, 40),
        ValueOverride("age", 2, F.GREATER_THAN, 20),
        # Would match the 2 written above if conditions saw replaced values.
        ValueOverride("age", 3, F.LESS_THAN, 5),
    ]
    result = apply_overrides(BATCH, overrides)
    assert result.column("age").to_pylist() == [2, None, 1]


def test_override_leaves_other_columns_untouched() -> None:
    result = apply_overrides(BATCH, [ValueOverride("age", 0, F.IS_NULL)])
    assert result.column("name").equals(BATCH.column("name"))
    assert result.schema == BATCH.schema


def test_replacement_that_cannot_be_converted_is_an_engine_error_naming_the_override() -> None:
    with pytest.raises(EngineError, match=r"override 2 of field 'age': the replacement 'old'"):
        apply_overrides(BATCH, [ValueOverride("name", "x"), ValueOverride("age", "old", F.IS_NULL)])


def test_lossy_replacement_is_refused() -> None:
    with pytest.raises(EngineError, match="override 1 of field 'age'"):
        apply_overrides(BATCH, [ValueOverride("age", 1.5)])


def test_override_of_missing_field_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="override 1 of field 'nope': the model has no field"):
        apply_overrides(BATCH, [ValueOverride("nope", 1)])
