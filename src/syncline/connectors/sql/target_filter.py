"""A sync's target filter compiled into one SQL condition with bound values.

`compile_target_filter` turns labelled `TargetCondition`s and their logic
(`filter_logic`; empty logic means all conditions) into a boolean SQL
expression over the columns of one table alias, and the values to bind to
its placeholders, in order. Only identifiers (quoted) are written into the
SQL text; every value is bound.

Semantics shared by every dialect:

- "Does not ..." functions (`Inequality`, `StringDoesNotContain`,
  `StringNotOneOf`, `StringNotLike`, `ArrayDoesNotContain`, ...) hold for an
  empty (NULL) value: a value that is not there does not contain anything.
- `IsNull`/`IsNotNull` treat `''` as empty on string columns, as per-field
  "create" mode does.
- String matching is case-sensitive; `StringLike` patterns use `%`, `_` and
  a backslash escape.
- A date without a time stands for the whole day: `OnOrBefore 2024-01-15`
  includes 23:59 that day, `Equality 2024-01-15` matches any time of it.
- Relative functions count back from `now` (fixed when the writer opens).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import pyarrow as pa

from syncline.connectors.durations import parse_duration
from syncline.connectors.filter_logic import (
    And,
    Label,
    LogicSyntaxError,
    Node,
    all_of,
    parse_logic,
)
from syncline.connectors.sql import like
from syncline.connectors.vocabulary import (
    FILTER_FUNCTIONS,
    FILTER_FUNCTIONS_BY_TYPE,
    FieldType,
    FilterFunction,
    ValueShape,
)
from syncline.connectors.writing import TargetCondition, TargetFilter
from syncline.errors import ConnectorError

F = FilterFunction
Clause = tuple[str, list[Any]]
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPARE = {
    F.EQUALITY: "=",
    F.INEQUALITY: "<>",
    F.GREATER_THAN: ">",
    F.GREATER_THAN_EQUAL: ">=",
    F.LESS_THAN: "<",
    F.LESS_THAN_EQUAL: "<=",
    F.ON_OR_AFTER: ">=",
    F.ON_OR_BEFORE: "<=",
}
_PATTERNS: dict[FilterFunction, tuple[Callable[[str], like.Pattern], bool]] = {
    F.STRING_CONTAINS: (like.contains, False),
    F.STRING_STARTS_WITH: (like.starts_with, False),
    F.STRING_ENDS_WITH: (like.ends_with, False),
    F.STRING_LIKE: (like.parse_like, False),
    F.STRING_DOES_NOT_CONTAIN: (like.contains, True),
    F.STRING_DOES_NOT_START_WITH: (like.starts_with, True),
    F.STRING_DOES_NOT_END_WITH: (like.ends_with, True),
    F.STRING_NOT_LIKE: (like.parse_like, True),
}


class FilterDialect(Protocol):
    """What the compiler needs from a database."""

    placeholder: str

    def q(self, name: str) -> str:
        """An identifier quoted for a statement run with bound values."""

    def bind(self, value: Any) -> Any:
        """A Python value (str, int, Decimal, bool, date, aware datetime) as the driver binds it."""

    def like(self, expr: str, pattern: like.Pattern) -> Clause:
        """A case-sensitive match of `expr` against `pattern`."""

    def empty_text(self, expr: str) -> str:
        """SQL that is true when `expr`, read as text, is `''`."""

    def array_contains(self, expr: str, value: Any) -> Clause:
        """SQL true when the array `expr` holds `value` (false, never NULL, otherwise).

        Raises `ConnectorError` when the database has no array columns.
        """


@dataclass(frozen=True)
class FilterColumn:
    """What the compiler knows of a target column: its field and Arrow types."""

    field_type: FieldType
    arrow_type: pa.DataType


def compile_target_filter(
    target_filter: TargetFilter,
    columns: Mapping[str, FilterColumn],
    dialect: FilterDialect,
    alias: str,
    now: datetime,
    subject: str = "target filter",
) -> Clause:
    """The filter as one SQL condition over `alias` and its bound values.

    Raises `ConnectorError` naming the condition for an unknown column, a
    function that does not suit the column's type, a malformed value, or
    logic that does not parse or names an unknown label. Messages call the
    filter `subject` (a model filter pushed into a source is compiled here too).
    """
    conditions = target_filter.conditions
    if not conditions:
        return "1 = 1", []
    try:
        tree = (
            parse_logic(target_filter.logic)
            if target_filter.logic.strip()
            else all_of([Label(name) for name in conditions])
        )
    except LogicSyntaxError as exc:
        raise ConnectorError(f"{subject} logic: {exc}") from None
    compiler = _Compiler(conditions, columns, dialect, alias, now, subject)
    return compiler.node(tree)


class _Compiler:
    def __init__(
        self,
        conditions: Mapping[str, TargetCondition],
        columns: Mapping[str, FilterColumn],
        dialect: FilterDialect,
        alias: str,
        now: datetime,
        subject: str,
    ) -> None:
        self.subject = subject
        self.conditions = conditions
        self.columns = columns
        self.dialect = dialect
        self.alias = alias
        self.now = now

    def node(self, node: Node) -> Clause:
        if isinstance(node, Label):
            condition = self.conditions.get(node.name)
            if condition is None:
                raise ConnectorError(f"{self.subject} logic names unknown condition {node.name!r}")
            try:
                return self.condition(condition)
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise ConnectorError(f"{self.subject} {node.name!r}: {exc}") from None
        parts = [self.node(operand) for operand in node.operands]
        joiner = " AND " if isinstance(node, And) else " OR "
        params = [value for _, values in parts for value in values]
        return "(" + joiner.join(sql for sql, _ in parts) + ")", params

    def condition(self, condition: TargetCondition) -> Clause:
        column = self.columns.get(condition.field)
        if column is None:
            raise ValueError(f"the target has no column {condition.field!r}")
        function = condition.function
        if function not in FILTER_FUNCTIONS_BY_TYPE[column.field_type]:
            raise ValueError(
                f"{function.value} does not apply to {column.field_type.value} "
                f"column {condition.field!r}"
            )
        value = _operand(function, condition.value)
        expr = f"{self.alias}.{self.dialect.q(condition.field)}"
        return self.function(function, expr, column, value)

    def function(
        self, function: FilterFunction, expr: str, column: FilterColumn, value: Any
    ) -> Clause:
        d = self.dialect
        p = d.placeholder
        text = column.field_type in (FieldType.STRING, FieldType.UNKNOWN)
        if function is F.IS_NULL:
            return f"({expr} IS NULL OR {d.empty_text(expr)})" if text else f"{expr} IS NULL", []
        if function is F.IS_NOT_NULL:
            if text:
                return f"({expr} IS NOT NULL AND NOT {d.empty_text(expr)})", []
            return f"{expr} IS NOT NULL", []
        if function in (F.TRUE, F.FALSE):
            return f"{expr} = {p}", [d.bind(function is F.TRUE)]
        if function in _PATTERNS:
            make, negated = _PATTERNS[function]
            sql, params = d.like(expr, make(str(value)))
            return (f"({expr} IS NULL OR NOT {sql})", params) if negated else (sql, params)
        if function in (F.STRING_ONE_OF, F.STRING_NOT_ONE_OF):
            marks = ", ".join(p for _ in value)
            params = [d.bind(_typed(item, column)) for item in value]
            if function is F.STRING_ONE_OF:
                return f"{expr} IN ({marks})", params
            return f"({expr} IS NULL OR {expr} NOT IN ({marks}))", params
        if function is F.STRING_MATCHES_TRIMMED:
            return f"TRIM({expr}) = {p}", [d.bind(str(value).strip(" "))]
        if function in (F.ARRAY_CONTAINS, F.ARRAY_DOES_NOT_CONTAIN):
            element = FilterColumn(_element_field_type(column.arrow_type), pa.string())
            sql, params = d.array_contains(expr, d.bind(_typed(value, element)))
            if function is F.ARRAY_CONTAINS:
                return sql, params
            return f"({expr} IS NULL OR NOT {sql})", params
        if isinstance(value, timedelta):
            since = self.now - value
            if function is F.IN_THE_LAST:
                return f"({expr} >= {p} AND {expr} <= {p})", [d.bind(since), d.bind(self.now)]
            op = ">=" if function is F.RELATIVE_ON_OR_AFTER else "<="
            return f"{expr} {op} {p}", [d.bind(since)]
        if function is F.BETWEEN:
            low, high = (_typed(item, column) for item in value)
            low_sql, low_params = self.compare(">=", expr, low)
            high_sql, high_params = self.compare("<=", expr, high)
            return f"({low_sql} AND {high_sql})", low_params + high_params
        return self.compare(_COMPARE[function], expr, _typed(value, column))

    def compare(self, op: str, expr: str, value: Any) -> Clause:
        """`expr op value`; a date (no time) is the interval [day, next day)."""
        d = self.dialect
        p = d.placeholder
        if not isinstance(value, date) or isinstance(value, datetime):
            if op == "<>":
                return f"({expr} IS NULL OR {expr} <> {p})", [d.bind(value)]
            return f"{expr} {op} {p}", [d.bind(value)]
        start, end = d.bind(value), d.bind(value + timedelta(days=1))
        if op == "=":
            return f"({expr} >= {p} AND {expr} < {p})", [start, end]
        if op == "<>":
            return f"({expr} IS NULL OR {expr} < {p} OR {expr} >= {p})", [start, end]
        bound = {">": (">=", end), ">=": (">=", start), "<": ("<", start), "<=": ("<", end)}
        real_op, param = bound[op]
        return f"{expr} {real_op} {p}", [param]


def _operand(function: FilterFunction, value: Any) -> Any:
    """The condition's value checked against the function's operand shape."""
    shape = FILTER_FUNCTIONS[function].shape
    if shape is ValueShape.NONE:
        return None
    if shape is ValueShape.DURATION:
        return parse_duration(str(value))
    if shape is ValueShape.PAIR and not (isinstance(value, list | tuple) and len(value) == 2):
        raise ValueError(f"{function.value} takes a list of exactly two values")
    if shape is ValueShape.LIST and not (isinstance(value, list | tuple) and value):
        raise ValueError(f"{function.value} takes a non-empty list of values")
    if shape is ValueShape.SCALAR and (value is None or isinstance(value, list | dict)):
        raise ValueError(f"{function.value} takes a single value")
    return value


def _typed(value: Any, column: FilterColumn) -> Any:
    """A scalar operand as the Python value compared with the column."""
    kind = column.field_type
    if kind is FieldType.NUMBER:
        return _number(value)
    if kind is FieldType.DATETIME:
        return _instant(value)
    if kind is FieldType.BOOLEAN:
        return _boolean(value)
    return str(value)


def _number(value: Any) -> int | Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    # Integers bind as integers so comparisons with integer columns can use indexes.
    return int(number) if number == number.to_integral_value() else number


def _instant(value: Any) -> date:
    """A date (no time given) or an aware datetime (UTC when no offset is given)."""
    text = str(value).strip()
    if _DATE_ONLY.fullmatch(text):
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _element_field_type(arrow_type: pa.DataType) -> FieldType:
    element = getattr(arrow_type, "value_type", arrow_type)
    types = pa.types
    if types.is_integer(element) or types.is_floating(element) or types.is_decimal(element):
        return FieldType.NUMBER
    return FieldType.STRING
