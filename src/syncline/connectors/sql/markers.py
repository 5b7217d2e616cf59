"""Commit markers of SQL targets: the `_syncline_commits` table.

A writer whose plan has a `mark` records, in the transaction that commits a
batch's records, one row naming the sync, the execution, the batch's number
and which of its records that transaction applied with which result. A
crash after the commit but before the engine's journal then loses nothing:
the next run reads the markers back (`SqlCommitLedger`) and counts exactly
those records as written, so an append never inserts them twice. Once a
run's state is committed, its markers are removed (`forget`).

The table lives beside the target table (its schema; its database on
MySQL), is created by the first writer that needs it, and belongs to
Syncline: target discovery never lists it. Rows are kept per sync, and
read and removed only by runs of that sync: a writer also removes its
sync's rows when it opens (the engine has read them back by then), so rows
a run could not remove do not stay.

`outcomes` holds runs of consecutive batch indexes with one result, as
`<first index>:<count>:<code>` joined by commas (`0:25000:i` for a clean
batch of inserts); the codes are `CODES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from syncline.connectors.sql.catalog import TableRef
from syncline.connectors.writing import CommitLedger, CommittedBatch, RecordResult
from syncline.errors import ConnectionCheckFailed

if TYPE_CHECKING:
    from syncline.connectors.sql.target import SqlTarget

MARKER_TABLE = "_syncline_commits"
"""The name of the markers table in each schema that holds a marked target."""

CODES = {
    RecordResult.INSERTED: "i",
    RecordResult.UPDATED: "u",
    RecordResult.DELETED: "d",
    RecordResult.SKIPPED: "s",
    RecordResult.NOT_FOUND: "n",
}
"""How `outcomes` spells the result of a committed record (a rejected one never commits)."""

_RESULTS = {code: result for result, code in CODES.items()}


def marker_ref(ref: TableRef) -> TableRef:
    """The markers table serving the target table `ref`."""
    return TableRef(ref.schema, MARKER_TABLE)


def encode_outcomes(indexes: Sequence[int], results: Sequence[RecordResult]) -> str:
    """The `outcomes` text of records at batch `indexes` (ascending) with these `results`."""
    if not indexes:
        return ""
    start, end = indexes[0], indexes[-1]
    if end - start + 1 == len(indexes) and len(set(results)) == 1:
        return f"{start}:{len(indexes)}:{CODES[results[0]]}"  # a clean batch: one run
    runs: list[list[int | str]] = []
    for index, result in zip(indexes, results, strict=True):
        code = CODES[result]
        last = runs[-1] if runs else None
        if last is not None and last[2] == code and int(last[0]) + int(last[1]) == index:
            last[1] = int(last[1]) + 1
        else:
            runs.append([index, 1, code])
    return ",".join(f"{first}:{count}:{code}" for first, count, code in runs)


def decode_outcomes(text: str) -> tuple[tuple[int, int, RecordResult], ...]:
    """The runs `encode_outcomes` wrote. Raises `ValueError` for other text."""
    runs = []
    for part in text.split(","):
        first, count, code = part.split(":")
        runs.append((int(first), int(count), _RESULTS[code]))
    return tuple(runs)


class SqlCommitLedger(CommitLedger):
    """The markers of one schema, read on a connection of their own."""

    def __init__(self, target: SqlTarget, schema: str) -> None:
        self.target = target
        self.ref = TableRef(schema, MARKER_TABLE)

    def committed(self, sync_id: str, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        """What the markers prove (see `CommitLedger.committed`); none without the table."""
        if not execution_ids:
            return []
        target = self.target
        marks = ", ".join([target.placeholder] * len(execution_ids))
        table = target.bindable(target.qualified(self.ref))
        sql = (
            f"SELECT execution_id, batch, outcomes FROM {table}"
            f" WHERE sync_id = {target.placeholder} AND execution_id IN ({marks})"
        )
        with target._session() as conn:
            if target._relation_kind(conn, self.ref) is None:
                return []
            rows = target._fetch_all(conn, sql, [sync_id, *execution_ids])
        return [
            CommittedBatch(str(execution), int(batch), decode_outcomes(str(outcomes)))
            for execution, batch, outcomes in rows
        ]

    def forget(self, sync_id: str, execution_id: str) -> None:
        """Remove one execution's markers (see `CommitLedger.forget`)."""
        target = self.target
        table = target.bindable(target.qualified(self.ref))
        mark = target.placeholder
        try:
            conn = target._open_writable()
        except target._driver_errors() as exc:
            raise ConnectionCheckFailed(target.scrub(target._connect_error_message(exc))) from None
        try:
            with target._translate(), target._watched(conn):
                if target._relation_kind(conn, self.ref) is None:
                    return
                cursor = conn.cursor()
                try:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE sync_id = {mark} AND execution_id = {mark}",
                        [sync_id, execution_id],
                    )
                finally:
                    cursor.close()
        finally:
            target._close(conn)
