"""Set-based statements applying a staged batch to its target by identity.

A batch of an identity mode (create, update, updateOrCreate, remove) is first
loaded into a temporary staging table `s` carrying each record's index in the
batch (`ROW_COLUMN`). `preselect_sql` then reads, inside the same
transaction and before anything changes, which staged records match a target
row by identity and which of those the target filter lets the sync touch;
`outcomes` turns that into the exact per-record result of the mode. The
statements that follow (`insert_missing_sql`, the dialect's update, upsert
and delete) change the target set-wise from the staging table.

Identifiers reach this module already quoted for the dialect (and made safe
for bound statements); values never do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import RecordResult

ROW_COLUMN = "_syncline_row"
"""The staging table's column holding a record's index in its batch."""

IDENTITY_MODES = frozenset(
    {SyncMode.CREATE, SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE, SyncMode.REMOVE}
)
"""Modes that match records to target rows by identity (through a staging table)."""

FILTERED_MODES = frozenset({SyncMode.UPDATE, SyncMode.REMOVE})
"""Modes a target filter restricts."""


@dataclass(frozen=True)
class Assignment:
    """A column an update writes; `create_only` ones only fill empty values."""

    column: str
    create_only: bool = False
    text: bool = False
    """The column holds text, so `''` counts as empty too."""


@dataclass(frozen=True)
class MergeTables:
    """The quoted names the statements are made of.

    `columns` are every written column in insert order (identity included);
    `assignments` are the non-identity ones an update writes.
    """

    target: str
    stage: str
    row: str
    identity: tuple[str, ...]
    columns: tuple[str, ...]
    assignments: tuple[Assignment, ...]


def join(tables: MergeTables, target: str = "t", stage: str = "s") -> str:
    """Identity equality between a target row and a staged record."""
    return " AND ".join(f"{target}.{c} = {stage}.{c}" for c in tables.identity)


def preselect_sql(tables: MergeTables, filter_sql: str | None) -> str:
    """Each staged record's index, whether a target row matches it, and
    (with a filter) whether a matching row passes the filter."""
    exists = f"EXISTS (SELECT 1 FROM {tables.target} t WHERE {join(tables)}"
    eligible = f", {exists} AND ({filter_sql}))" if filter_sql else ""
    return f"SELECT s.{tables.row}, {exists}){eligible} FROM {tables.stage} s"


def insert_missing_sql(tables: MergeTables) -> str:
    """Insert the staged records no target row matches."""
    columns = ", ".join(tables.columns)
    values = ", ".join(f"s.{c}" for c in tables.columns)
    return (
        f"INSERT INTO {tables.target} ({columns}) SELECT {values} FROM {tables.stage} s"
        f" WHERE NOT EXISTS (SELECT 1 FROM {tables.target} t WHERE {join(tables)})"
    )


def assigned_value(
    assignment: Assignment, current: str, new: str, empty_text: Callable[[str], str]
) -> str:
    """The value an update gives a column: `new`, or for a create-only column
    `new` only where `current` is empty (NULL, or `''` for text)."""
    if not assignment.create_only:
        return new
    empty = f"{current} IS NULL"
    if assignment.text:
        empty += f" OR {empty_text(current)}"
    return f"CASE WHEN {empty} THEN {new} ELSE {current} END"


def outcomes(
    mode: SyncMode, indexes: Sequence[int], found: Mapping[int, tuple[bool, bool]]
) -> list[RecordResult]:
    """Each record's result from whether it matched a target row and whether
    the filter let it through (`found`, from `preselect_sql`; a record
    missing from it matched none)."""
    results = []
    for index in indexes:
        matched, eligible = found.get(index, (False, False))
        if mode is SyncMode.CREATE:
            result = RecordResult.SKIPPED if matched else RecordResult.INSERTED
        elif mode is SyncMode.UPDATE_OR_CREATE:
            result = RecordResult.UPDATED if matched else RecordResult.INSERTED
        elif not matched:
            result = RecordResult.NOT_FOUND
        elif not eligible:
            result = RecordResult.SKIPPED
        else:
            result = RecordResult.DELETED if mode is SyncMode.REMOVE else RecordResult.UPDATED
        results.append(result)
    return results
