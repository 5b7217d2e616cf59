"""Finding the records a unique key refuses, set-wise, on the server.

When a batch fails, its records are staged (as for `sql.checks`) and one
query per unique index finds the staged records that share that index's
values (none NULL: NULLs never clash) with a row of the target, or with
another staged record. From those answers, `decide` tells which records a
record-by-record run would certainly refuse, and with which message:

- a record whose values a target row holds that the record does not write
  itself (any row for append and snapshot; for updateOrCreate a row of
  another identity) and that no staged record updates: the row keeps them
  whatever is applied before, so the record is refused;
- of staged records sharing values, every one after the first that is
  certainly applied (it clashes with that record's row).

What is not certain is left to the attempts: a clash with a row that a
staged record updates (it may move away from the values first), a record
after one whose fate is unknown, a record clashing on two indexes (which
one the database names depends on its order of checking them), or a
message that cannot be spelt exactly. A record taken as applied because
nothing refuses it (`Decision.leaders`) is checked after the attempts; if
one was refused after all, the caller writes the batch again without this
screen.

It is used only when that is exact (the dialect's `_unique_indexes`): every
unique index of the table is a plain one on columns the plan writes as
staged values (not partial, on expressions or prefixes, deferrable, or
NULLS NOT DISTINCT), no trigger or foreign key may refuse a record first,
every CHECK constraint is decided set-wise first, every NOT NULL column not
written has a default, and the mode writes every record (append, snapshot,
updateOrCreate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from syncline.connectors.vocabulary import SyncMode

SCREENED_MODES = frozenset({SyncMode.APPEND, SyncMode.SNAPSHOT, SyncMode.UPDATE_OR_CREATE})
"""Modes that write every record they are given by inserting it, or updating the
row of its identity (replace writes into its own staging table)."""


@dataclass(frozen=True)
class UniqueIndex:
    """A unique index of the target: its name and key columns in key order."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Clash:
    """What one index query says of one staged record (see `clash_sql`).

    `certain`: a target row holds its values and stays so; `possible`: some
    target row it does not write holds them; `group`: the smallest row index
    of the staged records sharing its values; `value`: its key values as
    the dialect renders them for the message (None when it does not).
    """

    row: int
    certain: bool
    possible: bool
    group: int
    value: str | None


@dataclass
class Decision:
    """The records refused, with their messages, and the records that were
    taken as applied for refusing a later one (to be checked after)."""

    refused: dict[int, str] = field(default_factory=dict)
    leaders: set[int] = field(default_factory=set)


def clash_sql(
    stage: str,
    target: str,
    row: str,
    columns: Sequence[str],
    identity: Sequence[str],
    value_sql: str | None,
) -> str:
    """The staged records sharing the index's `columns` (quoted) with a target
    row or another staged record: `row, certain, possible, group, value`.

    With an `identity` (quoted; updateOrCreate), a target row of the
    record's own identity is the one it writes, so it never clashes, and a
    row of an identity staged is updated by the batch: a clash with it is
    only possible. `value_sql` spells the key values of `s` for the message.
    """

    def same(record: str) -> str:
        return " AND ".join(f"t.{c} = {record}.{c}" for c in columns)

    def other(record: str) -> str:
        if not identity:
            return ""
        own = " AND ".join(f"t.{c} = {record}.{c}" for c in identity)
        return f" AND ({own}) IS NOT TRUE"

    possible = f"EXISTS (SELECT 1 FROM {target} t WHERE {same('s')}{other('s')})"
    certain = "0"
    if identity:
        # Uncorrelated, so evaluated once (a correlated NOT IN is a scan per row
        # on MariaDB); a NULL identity is never "stays": only possible.
        rows = ", ".join(f"t.{c}" for c in identity)
        staged = ", ".join(f"u.{c}" for c in identity)
        clashing = (
            f"SELECT w.{row} FROM {stage} w JOIN {target} t ON {same('w')}{other('w')}"
            f" WHERE ({rows}) NOT IN (SELECT {staged} FROM {stage} u)"
        )
        certain = f"CASE WHEN s.{row} IN ({clashing}) THEN 1 ELSE 0 END"
    keys = ", ".join(f"s.{c}" for c in columns)
    value = value_sql or "NULL"
    present = " AND ".join(f"s.{c} IS NOT NULL" for c in columns)
    found = (
        f"SELECT s.{row} AS r, {certain} AS c,"
        f" CASE WHEN {possible} THEN 1 ELSE 0 END AS p,"
        f" MIN(s.{row}) OVER (PARTITION BY {keys}) AS g,"
        f" COUNT(*) OVER (PARTITION BY {keys}) AS n, {value} AS v"
        f" FROM {stage} s WHERE {present}"
    )
    # Without an identity no row is updated: every row keeps its values, so a
    # possible clash is certain.
    sure = "c" if identity else "p"
    return f"SELECT r, {sure}, p, g, v FROM ({found}) f WHERE p = 1 OR n > 1"


def decide(
    indexes: Sequence[int],
    clashes: Mapping[str, Sequence[Clash]],
    message: Callable[[str, str | None], str | None],
) -> Decision:
    """The records among `indexes` (in the order a record-by-record run
    applies them) that the unique indexes certainly refuse, from each
    index's `clashes` (by index name); `message(name, value)` is the
    database's message for a clash on that index, None when unknown."""
    by_row: dict[int, list[tuple[str, Clash]]] = {}
    for name, found in clashes.items():
        for clash in found:
            by_row.setdefault(clash.row, []).append((name, clash))
    wanted = set(indexes)
    # Per index and group of shared values: True once a record of it is applied
    # for certain, False once one may have been (absent: none yet).
    groups: dict[tuple[str, int], bool] = {}
    leader_of: dict[tuple[str, int], int] = {}
    decision = Decision()
    for row in sorted(by_row):
        if row not in wanted:
            continue  # refused before (a CHECK): never applied
        refused_on: list[tuple[str, Clash]] = []
        unsure = False
        for name, clash in by_row[row]:
            state = groups.get((name, clash.group))
            if clash.certain or state is True:
                refused_on.append((name, clash))
                if not clash.certain:
                    # Refused only if that record was applied: checked after.
                    decision.leaders.add(leader_of[(name, clash.group)])
            elif clash.possible or state is False:
                unsure = True
        if refused_on:
            if len(refused_on) == 1 and not unsure:
                name, clash = refused_on[0]
                said = message(name, clash.value)
                if said is not None:
                    decision.refused[row] = said
            continue  # refused either way: groups stay as they are
        for name, clash in by_row[row]:
            key = (name, clash.group)
            if key not in groups:
                groups[key] = not unsure
                leader_of[key] = row
    return decision
