"""Value overrides: replace a model field's value where a condition on it holds.

Every override's condition is evaluated on the values as read, so one
override never triggers another; where several overrides of the same field
match a row, the first listed wins. An override without a function replaces
every value of its field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from syncline.engine.errors import EngineError
from syncline.engine.filters import Predicate, compile_condition
from syncline.engine.spec import Condition, ValueOverride
from syncline.engine.values import plain_type, shown, to_scalar

Transform = Callable[[pa.RecordBatch], pa.RecordBatch]
"""A compiled set of overrides: a batch in, the same batch with values replaced out."""


@dataclass(frozen=True)
class _Compiled:
    index: int
    replacement: pa.Scalar
    condition: Predicate | None


def compile_overrides(
    overrides: Sequence[ValueOverride], schema: pa.Schema, now: datetime
) -> Transform | None:
    """The overrides as one batch transform, or None when there are none.

    Batches must have `schema` with dictionary columns decoded (`values.plain`).
    Raises `EngineError` naming the override when its field is missing, its
    condition does not suit the field, or its replacement cannot be converted
    to the field's type.
    """
    if not overrides:
        return None
    compiled = [_compile(number, given, schema, now) for number, given in enumerate(overrides, 1)]

    def transform(batch: pa.RecordBatch) -> pa.RecordBatch:
        masks = [None if o.condition is None else o.condition(batch) for o in compiled]
        columns = list(batch.columns)
        # Applied last to first so that the first matching override has the final word.
        for override, mask in reversed(list(zip(compiled, masks, strict=True))):
            if mask is None:
                columns[override.index] = pa.repeat(override.replacement, batch.num_rows)
            else:
                columns[override.index] = pc.if_else(
                    mask, override.replacement, columns[override.index]
                )
        return pa.RecordBatch.from_arrays(columns, schema=batch.schema)

    return transform


def apply_overrides(
    batch: pa.RecordBatch, overrides: Sequence[ValueOverride], now: datetime | None = None
) -> pa.RecordBatch:
    """`batch` with `overrides` applied (see `compile_overrides`; `now` defaults to now)."""
    transform = compile_overrides(overrides, batch.schema, now or datetime.now(UTC))
    return batch if transform is None else transform(batch)


def _compile(number: int, override: ValueOverride, schema: pa.Schema, now: datetime) -> _Compiled:
    name = f"override {number} of field {override.field!r}"
    index = schema.get_field_index(override.field)
    if index < 0:
        raise EngineError(f"{name}: the model has no field {override.field!r}")
    type_ = plain_type(schema.field(index).type)
    try:
        replacement = to_scalar(override.replacement, type_)
    except ValueError as error:
        raise EngineError(
            f"{name}: the replacement {shown(override.replacement)} cannot be used "
            f"for a field of type {type_}: {error}"
        ) from None
    condition = None
    if override.function is not None:
        condition = compile_condition(
            Condition(override.field, override.function, override.value), schema, now, name
        )
    return _Compiled(index, replacement, condition)
