"""Which columns a file write sends, stages and publishes, and whether a plan fits a file.

Column names match the existing file's case-insensitively, and take the
file's spelling: DuckDB resolves identifiers without regard to case, so
`Email` and `email` could not be two columns of one merge anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from syncline.connectors.files.storage import Storage, staged_schema
from syncline.connectors.vocabulary import IdentityFunction, SyncMode
from syncline.connectors.writing import WritePlan
from syncline.errors import ConnectorError

IDENTITY_MODES = frozenset(
    {SyncMode.CREATE, SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE, SyncMode.REMOVE}
)
"""Modes that match records to the file's rows by identity."""

SNAPSHOT_TYPE = pa.timestamp("us", tz="UTC")
"""The Arrow type of the snapshot column a snapshot run adds."""


def check_plan(plan: WritePlan, name: str) -> None:
    """Refuse a plan a files target cannot carry out, naming what is wrong.

    Raises `ConnectorError`: the service layer validates syncs against what
    files declare, so reaching here means the plan and the target disagree.
    """
    names = [column.name for column in plan.columns]
    if plan.mode is SyncMode.SNAPSHOT:
        if not plan.snapshot_column or plan.snapshot_time is None:
            raise ConnectorError(f"a snapshot of {name} needs a snapshot column and time")
        names.append(plan.snapshot_column)
    problem = None
    if not plan.columns:
        problem = "the sync sends no columns"
    elif len({n.lower() for n in names}) != len(names):
        problem = f"column names must differ other than by case: {', '.join(names)}"
    elif plan.mode in IDENTITY_MODES and not plan.identity:
        problem = f"mode {plan.mode} needs identity columns"
    elif plan.mode in IDENTITY_MODES and not set(plan.identity) <= set(names):
        missing = sorted(set(plan.identity) - set(names))
        problem = f"identity columns {', '.join(missing)} are not among the columns sent"
    elif plan.mode in IDENTITY_MODES and plan.identity_function is not IdentityFunction.EQUALITY:
        problem = f"files match identities only by equality, not {plan.identity_function}"
    elif plan.target_filter is not None:
        problem = "files targets do not support target filters"
    if problem is not None:
        raise ConnectorError(f"cannot write {name}: {problem}")


@dataclass(frozen=True)
class Layout:
    """The columns of one write, spelled as in the file where the file has them.

    - `sent`: the plan's columns in order, then the snapshot column if any;
      batches' columns are renamed to these.
    - `output`: the published file's columns: the file's own, in its order,
      then the sent columns it lacks. A remove never adds columns.
    - `staged`: the sent columns in their staged types.
    """

    sent: tuple[str, ...]
    identity: tuple[str, ...]
    create_only: frozenset[str]
    output: tuple[str, ...]
    staged: pa.Schema

    @classmethod
    def of(cls, plan: WritePlan, storage: Storage) -> Layout:
        """The layout of `plan` over the file `storage` has read the columns of."""
        spelled = {name.lower(): name for name in storage.columns}

        def canonical(name: str) -> str:
            return spelled.get(name.lower(), name)

        fields = [pa.field(canonical(c.name), c.arrow_type) for c in plan.columns]
        if plan.mode is SyncMode.SNAPSHOT and plan.snapshot_column:
            fields.append(pa.field(canonical(plan.snapshot_column), SNAPSHOT_TYPE))
        sent = tuple(field.name for field in fields)
        existing = tuple(storage.columns)
        if plan.mode is SyncMode.REMOVE and existing:
            output = existing
        else:
            output = existing + tuple(name for name in sent if name not in existing)
        return cls(
            sent=sent,
            identity=tuple(canonical(name) for name in plan.identity),
            create_only=frozenset(canonical(c.name) for c in plan.columns if c.create_only),
            output=output,
            staged=staged_schema(storage, fields),
        )
