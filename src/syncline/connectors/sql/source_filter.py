"""Model filters pushed down into a SQL source's query.

The engine always applies a model's filter itself; what a source gets is a
hint that lets the database skip rows early. So the pushed-down condition
must never be stricter than the engine's: a row the engine would keep must
never be dropped here. `pushable` keeps only the conditions whose SQL
meaning is the same as the engine's or wider (comparisons, equality, one-of,
booleans, date ranges, emptiness; negations pass NULLs in SQL, which is wider), and
treats every other condition as true. The logic has no negation, so
replacing conditions by "true" can only widen it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncline.connectors.base import Field
from syncline.connectors.filter_logic import (
    And,
    Label,
    LogicSyntaxError,
    Node,
    Or,
    all_of,
    labels,
    parse_logic,
    render,
)
from syncline.connectors.sql.like import Pattern
from syncline.connectors.sql.target_filter import Clause, FilterColumn, compile_target_filter
from syncline.connectors.vocabulary import FilterFunction
from syncline.connectors.writing import TargetFilter
from syncline.errors import ConnectorError

F = FilterFunction
PUSHABLE = frozenset(
    {
        F.EQUALITY,
        F.INEQUALITY,
        F.GREATER_THAN,
        F.GREATER_THAN_EQUAL,
        F.LESS_THAN,
        F.LESS_THAN_EQUAL,
        F.ON_OR_AFTER,
        F.ON_OR_BEFORE,
        F.BETWEEN,
        F.STRING_ONE_OF,
        F.STRING_NOT_ONE_OF,
        F.TRUE,
        F.FALSE,
        F.IS_NULL,
    }
)
"""Functions whose SQL compilation keeps at least every row the engine keeps
(`IsNull` on text also keeps empty strings: wider, so still safe)."""


def pushable(where: TargetFilter, fields: Mapping[str, Field]) -> TargetFilter | None:
    """The part of a model filter a SQL source may apply, or None when nothing is.

    Conditions over unknown fields or with other functions count as true.
    """
    conditions = {
        label: condition
        for label, condition in where.conditions.items()
        if condition.function in PUSHABLE and condition.field in fields
    }
    try:
        tree = (
            parse_logic(where.logic)
            if where.logic.strip()
            else all_of([Label(name) for name in where.conditions])
        )
    except LogicSyntaxError:
        return None
    narrowed = _narrow(tree, frozenset(conditions))
    if narrowed is None:
        return None
    used = labels(narrowed)
    return TargetFilter({label: conditions[label] for label in used}, render(narrowed))


def _narrow(node: Node, keep: frozenset[str]) -> Node | None:
    """`node` with every condition outside `keep` replaced by true (None means true)."""
    if isinstance(node, Label):
        return node if node.name in keep else None
    operands = [_narrow(operand, keep) for operand in node.operands]
    if isinstance(node, And):
        kept = [operand for operand in operands if operand is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else And(tuple(kept))
    if any(operand is None for operand in operands):
        return None
    present = [operand for operand in operands if operand is not None]
    return present[0] if len(present) == 1 else Or(tuple(present))


@dataclass
class SourceFilterDialect:
    """What the filter compiler needs of a SQL source: quoting and binding.

    Only the functions in `PUSHABLE` reach it, so pattern matching and array
    tests are never asked for.
    """

    placeholder: str
    quote: Callable[[str], str]
    binder: Callable[[Any], Any]

    def q(self, name: str) -> str:
        """An identifier quoted for a statement with bound values."""
        return self.quote(name)

    def bind(self, value: Any) -> Any:
        """A value as the driver binds it."""
        return self.binder(value)

    def like(self, expr: str, pattern: Pattern) -> Clause:
        """Never pushed down."""
        raise ConnectorError("pattern filters are not pushed down into the source")

    def empty_text(self, expr: str) -> str:
        """Never pushed down."""
        raise ConnectorError("emptiness filters are not pushed down into the source")

    def array_contains(self, expr: str, value: Any) -> Clause:
        """Never pushed down."""
        raise ConnectorError("array filters are not pushed down into the source")


def where_clause(
    where: TargetFilter,
    fields: Mapping[str, Field],
    dialect: SourceFilterDialect,
    now: datetime,
) -> Clause | None:
    """The SQL condition over alias `q` for the pushable part of `where`, or None."""
    narrowed = pushable(where, fields)
    if narrowed is None:
        return None
    columns = {
        name: FilterColumn(field.type, field.arrow_type)
        for name, field in fields.items()
        if name in {c.field for c in narrowed.conditions.values()}
    }
    return compile_target_filter(narrowed, columns, dialect, "q", now, "model filter")
