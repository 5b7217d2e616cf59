"""Finding the records a CHECK constraint refuses, set-wise, on the server.

When a batch fails, its records are staged (a temporary table with the
target's column types and no constraints) and one query evaluates every
CHECK constraint that can be decided from the staged values alone: the
records whose expression is false are certain to be refused (a CHECK passes
when its expression is true or NULL), and are refused with the database's
own message for that constraint. So a mapping that breaks a CHECK in every
record costs one staging and one query instead of an attempt per record.

A constraint is used only when that is exact: every column it reads is
written by the plan as the staged value (never a create-only column, never
a default), no trigger may change the row first, and the mode writes every
record (append, snapshot, replace, updateOrCreate; create and update leave
some records unwritten, whose constraints then never run).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import WritePlan

SCREENED_MODES = frozenset(
    {SyncMode.APPEND, SyncMode.SNAPSHOT, SyncMode.REPLACE, SyncMode.UPDATE_OR_CREATE}
)
"""Modes that write every record they are given, so each CHECK runs on each."""


@dataclass(frozen=True)
class CheckConstraint:
    """A CHECK constraint of the target table.

    `expression` is SQL over the table's column names (unqualified);
    `columns` are the columns it reads; `message` is what the database says
    when a row breaks it.
    """

    name: str
    expression: str
    columns: frozenset[str]
    message: str


def usable_checks(
    plan: WritePlan, checks: Sequence[CheckConstraint], has_triggers: bool
) -> list[CheckConstraint]:
    """The constraints whose verdict on a staged record is exactly the target's."""
    if plan.mode not in SCREENED_MODES or has_triggers:
        return []
    written = {c.name for c in plan.columns}
    create_only = {c.name for c in plan.columns if c.create_only}
    return [
        check
        for check in checks
        if check.columns and check.columns <= written and not check.columns & create_only
    ]


def violations_sql(stage: str, row: str, checks: Sequence[CheckConstraint]) -> str:
    """The staged records breaking one of `checks`, as runs of consecutive row
    indexes: `(check, first, last)` says every record from index `first` to
    `last` breaks `checks[check]` first of all (so a batch where every
    record breaks one constraint answers in one row)."""
    failing = [f"({check.expression}) IS FALSE" for check in checks]
    cases = " ".join(f"WHEN {test} THEN {n}" for n, test in enumerate(failing))
    found = f"SELECT {row} AS r, CASE {cases} END AS c FROM {stage} WHERE {' OR '.join(failing)}"
    runs = f"SELECT r, c, r - ROW_NUMBER() OVER (PARTITION BY c ORDER BY r) AS g FROM ({found}) f"
    return f"SELECT c, MIN(r), MAX(r) FROM ({runs}) v GROUP BY c, g"


def referenced(expression: str, quote: str, columns: Collection[str]) -> frozenset[str] | None:
    """The column names quoted with `quote` in `expression`; None when one is
    not among `columns` (the expression reads something else)."""
    names: set[str] = set()
    parts = expression.split(quote)
    # Quoted names are the odd parts; a doubled quote inside a name joins two parts.
    index = 1
    while index < len(parts):
        name = parts[index]
        while index + 2 < len(parts) and parts[index + 1] == "":
            name += quote + parts[index + 2]
            index += 2
        names.add(name)
        index += 2
    if not names or not names <= set(columns):
        return None
    return frozenset(names)
