"""Model filters compiled into vectorized predicates over Arrow record batches.

A `RowFilter` is compiled once per run against the source schema, so an
unknown field or an operand that cannot be compared with its field fails
before any row is read. The compiled predicate maps a batch to a boolean
array without NULLs: a row whose field is NULL fails every condition except
`IsNull`.

Semantics worth knowing:

- String functions are case-sensitive; `StringLike` is SQL LIKE (`%`, `_`);
  `StringMatchesTrimmed` compares after trimming whitespace on both sides.
- Numbers, booleans and instants are compared after converting the operand
  to the column's type (`values.comparable`). Instants compare in UTC; a
  timestamp column without a zone holds UTC. A bare-date upper bound
  (`OnOrBefore`, the high end of `Between`) includes that whole day.
- `InTheLast d` holds for `now - d <= value <= now`; `RelativeOnOrAfter d`
  for `value >= now - d`; `RelativeOnOrBefore d` for `value <= now - d`,
  with `now` the run's start time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from syncline.connectors.durations import parse_duration
from syncline.connectors.filter_logic import (
    And,
    Label,
    LogicSyntaxError,
    Node,
    all_of,
    labels,
    parse_logic,
)
from syncline.connectors.vocabulary import FilterFunction as F
from syncline.engine.errors import EngineError
from syncline.engine.spec import Condition, RowFilter
from syncline.engine.values import (
    comparable,
    is_temporal,
    is_text,
    parse_instant,
    plain_type,
    row_numbers,
    shown,
)

Predicate = Callable[[pa.RecordBatch], pa.BooleanArray]
"""A compiled filter: one non-NULL boolean per row of the batch."""

_Test = Callable[[pa.Array], pa.Array]
"""One condition over one column; may return NULL where the column is NULL."""

_COMPARISONS: dict[F, Callable[..., pa.Array]] = {
    F.EQUALITY: pc.equal,
    F.INEQUALITY: pc.not_equal,
    F.GREATER_THAN: pc.greater,
    F.GREATER_THAN_EQUAL: pc.greater_equal,
    F.LESS_THAN: pc.less,
    F.LESS_THAN_EQUAL: pc.less_equal,
}
_TEXT_TESTS: dict[F, tuple[Callable[..., pa.Array], bool]] = {
    F.STRING_CONTAINS: (pc.match_substring, False),
    F.STRING_DOES_NOT_CONTAIN: (pc.match_substring, True),
    F.STRING_STARTS_WITH: (pc.starts_with, False),
    F.STRING_DOES_NOT_START_WITH: (pc.starts_with, True),
    F.STRING_ENDS_WITH: (pc.ends_with, False),
    F.STRING_DOES_NOT_END_WITH: (pc.ends_with, True),
    F.STRING_LIKE: (pc.match_like, False),
    F.STRING_NOT_LIKE: (pc.match_like, True),
}
_DAY = timedelta(days=1)


def compile_filter(
    row_filter: RowFilter | None, schema: pa.Schema, now: datetime
) -> Predicate | None:
    """The predicate selecting the rows `row_filter` keeps, or None when it keeps all.

    Conditions are combined by `row_filter.logic` (see `filter_logic`); empty
    logic means every condition must hold. Raises `EngineError` naming the
    condition when its field is missing from `schema`, its operand does not
    suit the field, or the logic is invalid or names an unknown label.
    """
    if row_filter is None or not row_filter.conditions:
        return None
    tree = _logic_tree(row_filter)
    tests = {
        label: compile_condition(row_filter.conditions[label], schema, now, f"filter {label!r}")
        for label in labels(tree)
    }

    def predicate(batch: pa.RecordBatch) -> pa.BooleanArray:
        masks = {label: test(batch) for label, test in tests.items()}
        return _evaluate(tree, masks)

    return predicate


def compile_condition(
    condition: Condition, schema: pa.Schema, now: datetime, name: str
) -> Predicate:
    """One condition as a predicate (NULL-safe, see the module docstring).

    `name` says which condition this is in error messages. Raises `EngineError`.
    """
    index = schema.get_field_index(condition.field)
    if index < 0:
        raise EngineError(f"{name}: the model has no field {condition.field!r}")
    type_ = plain_type(schema.field(index).type)
    try:
        test = _test(condition.function, condition.value, type_, now)
    except (ValueError, TypeError, pa.ArrowException) as error:
        raise EngineError(
            f"{name}: {condition.function.value} cannot be applied to field "
            f"{condition.field!r} ({type_}): {error}"
        ) from None
    null_aware = condition.function in (F.IS_NULL, F.IS_NOT_NULL)

    def predicate(batch: pa.RecordBatch) -> pa.BooleanArray:
        column = batch.column(index)
        if pt.is_dictionary(column.type):
            column = pc.cast(column, type_)
        result = test(column)
        if null_aware:
            return result
        # NULL fails the condition, including the negated ones (StringNotOneOf on NULL is false).
        return pc.fill_null(pc.and_kleene(pc.is_valid(column), result), False)

    return predicate


def _logic_tree(row_filter: RowFilter) -> Node:
    if not row_filter.logic.strip():
        return all_of([Label(label) for label in row_filter.conditions])
    try:
        tree = parse_logic(row_filter.logic)
    except LogicSyntaxError as error:
        raise EngineError(f"filter logic {row_filter.logic!r}: {error}") from None
    unknown = [label for label in labels(tree) if label not in row_filter.conditions]
    if unknown:
        raise EngineError(f"filter logic names unknown conditions: {', '.join(unknown)}")
    return tree


def _evaluate(node: Node, masks: Mapping[str, pa.BooleanArray]) -> pa.BooleanArray:
    if isinstance(node, Label):
        return masks[node.name]
    operands = [_evaluate(operand, masks) for operand in node.operands]
    return reduce(pc.and_ if isinstance(node, And) else pc.or_, operands)


def _test(function: F, value: Any, type_: pa.DataType, now: datetime) -> _Test:
    """Build the column test for `function`, converting its operand once."""
    if function is F.IS_NULL:
        return lambda column: pc.is_null(column)
    if function is F.IS_NOT_NULL:
        return lambda column: pc.is_valid(column)
    if function in (F.TRUE, F.FALSE):
        expected = pa.scalar(function is F.TRUE)
        return lambda column: pc.equal(_as(column, pa.bool_()), expected)
    if function in _TEXT_TESTS:
        kernel, negate = _TEXT_TESTS[function]
        return _text_test(kernel, _pattern(value), negate)
    if function in (F.STRING_ONE_OF, F.STRING_NOT_ONE_OF):
        options = pa.array([_pattern(item) for item in _items(value)], pa.string())
        return _negated(
            lambda column: pc.is_in(_text(column), value_set=options),
            function is F.STRING_NOT_ONE_OF,
        )
    if function is F.STRING_MATCHES_TRIMMED:
        trimmed = _pattern(value).strip()
        return lambda column: pc.equal(pc.utf8_trim_whitespace(_text(column)), trimmed)
    if function in (F.ARRAY_CONTAINS, F.ARRAY_DOES_NOT_CONTAIN):
        return _negated(_array_contains(value, type_), function is F.ARRAY_DOES_NOT_CONTAIN)
    if is_temporal(type_) or function in (F.ON_OR_AFTER, F.ON_OR_BEFORE):
        return _temporal_test(function, value, type_, now)
    if function in (F.IN_THE_LAST, F.RELATIVE_ON_OR_AFTER, F.RELATIVE_ON_OR_BEFORE):
        raise ValueError("relative date functions need a date or timestamp field")
    if function is F.BETWEEN:
        low, high = _pair(value)
        return _range(comparable(low, type_), comparable(high, type_), high_inclusive=True)
    return _compare(_COMPARISONS[function], comparable(value, type_))


def _temporal_test(function: F, value: Any, type_: pa.DataType, now: datetime) -> _Test:
    """Tests over instants: the column is compared as a timestamp in UTC."""
    if not is_temporal(type_):
        raise ValueError("this function needs a date or timestamp field")
    # Dates are compared as midnight UTC so that every temporal column shares one domain.
    column_type = pa.timestamp("us", tz="UTC") if pt.is_date(type_) else type_
    cast: _Test = (lambda column: pc.cast(column, column_type)) if pt.is_date(type_) else _same

    def at(instant: datetime) -> pa.Scalar:
        return comparable(instant, column_type)

    def bound(text: Any) -> tuple[pa.Scalar, pa.Scalar, bool]:
        """(start, end-of-range, end inclusive) of an operand: a bare date spans its day."""
        instant, date_only = parse_instant(text)
        return at(instant), at(instant + _DAY if date_only else instant), not date_only

    if function in (F.IN_THE_LAST, F.RELATIVE_ON_OR_AFTER, F.RELATIVE_ON_OR_BEFORE):
        if not isinstance(value, str):
            raise ValueError(f"{shown(value)} is not a duration")
        since = at(now - parse_duration(value))
        if function is F.IN_THE_LAST:
            test = _range(since, at(now), high_inclusive=True)
        else:
            kernel = pc.greater_equal if function is F.RELATIVE_ON_OR_AFTER else pc.less_equal
            test = _compare(kernel, since)
    elif function is F.ON_OR_AFTER:
        test = _compare(pc.greater_equal, bound(value)[0])
    elif function is F.ON_OR_BEFORE:
        _, end, inclusive = bound(value)
        test = _range(None, end, high_inclusive=inclusive)
    elif function is F.BETWEEN:
        low_text, high_text = _pair(value)
        _, end, inclusive = bound(high_text)
        test = _range(bound(low_text)[0], end, high_inclusive=inclusive)
    elif function in _COMPARISONS:
        test = _compare(_COMPARISONS[function], at(parse_instant(value)[0]))
    else:
        raise ValueError("this function does not apply to dates")
    return lambda column: test(cast(column))


def _compare(kernel: Callable[..., pa.Array], operand: pa.Scalar) -> _Test:
    return lambda column: kernel(column, operand)


def _range(low: pa.Scalar | None, high: pa.Scalar, *, high_inclusive: bool) -> _Test:
    upper = pc.less_equal if high_inclusive else pc.less

    def test(column: pa.Array) -> pa.Array:
        below = upper(column, high)
        return below if low is None else pc.and_kleene(pc.greater_equal(column, low), below)

    return test


def _array_contains(value: Any, type_: pa.DataType) -> _Test:
    """Whether each list holds `value`, without a Python loop over rows.

    The lists are flattened, the matching elements found, and their parent
    row numbers marked (`list_parent_indices` follows the flattened order).
    """
    if not (pt.is_list(type_) or pt.is_large_list(type_) or pt.is_fixed_size_list(type_)):
        raise ValueError("ArrayContains needs an array field")
    element = comparable(value, plain_type(type_.value_type))

    def test(column: pa.Array) -> pa.Array:
        hits = pc.fill_null(pc.equal(pc.list_flatten(column), element), False)
        rows_with_hit = pc.filter(pc.list_parent_indices(column), hits)
        return pc.is_in(row_numbers(0, len(column)), value_set=pc.cast(rows_with_hit, pa.int64()))

    return test


def _text_test(kernel: Callable[..., pa.Array], pattern: str, negate: bool) -> _Test:
    return _negated(lambda column: kernel(_text(column), pattern=pattern), negate)


def _negated(test: _Test, negate: bool) -> _Test:
    return (lambda column: pc.invert(test(column))) if negate else test


def _text(column: pa.Array) -> pa.Array:
    return column if is_text(column.type) else _as(column, pa.string())


def _as(column: pa.Array, type_: pa.DataType) -> pa.Array:
    return column if column.type == type_ else pc.cast(column, type_)


def _same(column: pa.Array) -> pa.Array:
    return column


def _pattern(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str | int | float):
        raise ValueError(f"{shown(value)} is not a string")
    return str(value)


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{shown(value)} is not a non-empty list")
    return list(value)


def _pair(value: Any) -> tuple[Any, Any]:
    items = _items(value)
    if len(items) != 2:
        raise ValueError(f"{shown(value)} is not a list of exactly two values")
    return items[0], items[1]
