"""`SqlWriter`: one writer for every SQL database, over the `WriteDialect` hooks.

Opening a writer connects (read-write, on its own connection) and prepares
the table for the plan (`prepare`). Every `write` is applied in one
transaction committed before it returns; bad records are isolated by
bisection (`isolate`). Records of identity modes are screened first: a NULL
identity is rejected, and of several records with one identity in a batch
only one is applied (`_screen`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import pyarrow as pa

from syncline.connectors.sql.dialect import Row, WriteDialect
from syncline.connectors.sql.isolate import Refused, isolate
from syncline.connectors.sql.merge import IDENTITY_MODES, outcomes
from syncline.connectors.sql.prepare import Prepared, prepare
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sql.values import batch_rows
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import BatchResult, RecordResult, WritePlan, Writer
from syncline.errors import ConnectorError

T = TypeVar("T")


class SqlWriter(WriteDialect, Writer):
    """Applies a `WritePlan` to one SQL table; dialects fill in the hooks."""

    prepared: Prepared

    def __init__(self, target: SqlTarget, plan: WritePlan) -> None:
        Writer.__init__(self, plan)
        self.target = target
        self.placeholder = target.placeholder
        self.conn = None
        self._closed = False
        self._finished = False
        self._looks_new = True
        """Whether the last merged batch held only new identities (see `_insert_directly`)."""

    @classmethod
    def open(cls, target: SqlTarget, plan: WritePlan) -> Self:
        """Connect and prepare the table for `plan`.

        Raises `ObjectNotFound` for a missing table or column that the plan
        does not create, `ConnectorError` when the target cannot be prepared.
        """
        writer = cls(target, plan)
        try:
            with target._translate(ConnectorError):
                writer.conn = writer._connect()
                writer.prepared = prepare(writer, plan, datetime.now(UTC))
        except BaseException:
            writer.close()
            raise
        return writer

    # ------------------------------------------------------------ writing

    def write(self, batch: pa.RecordBatch) -> BatchResult:
        """Apply one batch by the plan's mode in one transaction (see `Writer.write`)."""
        if self._closed or self._finished:
            raise RuntimeError("the writer is closed")
        prepared = self.prepared
        rows = batch_rows(batch, prepared.names, prepared.converters)
        results: list[RecordResult | None] = [None] * len(rows)
        messages: dict[int, str] = {}
        indexes = (
            self._screen(rows, results, messages)
            if self.plan.mode in IDENTITY_MODES
            else list(range(len(rows)))
        )
        items = [(index, rows[index]) for index in indexes]
        for (index, _), outcome in zip(
            items, isolate(items, self._attempt, self._record_fault), strict=True
        ):
            if isinstance(outcome, Refused):
                results[index] = RecordResult.REJECTED
                messages[index] = outcome.message
            else:
                results[index] = outcome
        final = [result for result in results if result is not None]
        assert len(final) == len(results), "every record has a result"
        return BatchResult(final, messages)

    def _screen(
        self, rows: Sequence[Row], results: list[RecordResult | None], messages: dict[int, str]
    ) -> list[int]:
        """The indexes to apply: rejects NULL identities and skips all but one
        record of an identity repeated in the batch.

        The one kept is the one a record-by-record run would leave its mark
        with: the first for create and remove, the last for updates.
        """
        positions = [self.prepared.names.index(name) for name in self.plan.identity]
        keep_last = self.plan.mode in (SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE)
        chosen: dict[Any, int] = {}
        order = range(len(rows) - 1, -1, -1) if keep_last else range(len(rows))
        for index in order:
            key = tuple(rows[index][p] for p in positions)
            missing = [
                name for name, value in zip(self.plan.identity, key, strict=True) if value is None
            ]
            if missing:
                results[index] = RecordResult.REJECTED
                messages[index] = (
                    f"identity column {missing[0]!r} is empty; "
                    "a record needs a value for every identity column"
                )
                continue
            try:
                winner = chosen.setdefault(key, index)
            except TypeError:  # an unhashable identity value cannot repeat detectably
                continue
            if winner != index:
                results[index] = RecordResult.SKIPPED
                messages[index] = f"record {winner} of this batch has the same identity"
        return sorted(i for i in range(len(rows)) if results[i] is None)

    def _attempt(self, items: Sequence[tuple[int, Row]]) -> list[RecordResult]:
        """Apply `items` in one transaction (rolled back if it raises)."""
        return self._transaction(lambda: self._apply(items))

    def _transaction(self, work: Callable[[], T]) -> T:
        """Run `work` in one transaction: committed when it returns, rolled
        back when it raises (the error propagates)."""
        self.execute(self.begin_sql)
        try:
            result = work()
            self.execute("COMMIT")
        except BaseException:
            with suppress(Exception):
                self.execute("ROLLBACK")
            raise
        return result

    def _apply(self, items: Sequence[tuple[int, Row]]) -> list[RecordResult]:
        prepared = self.prepared
        rows = [row for _, row in items]
        if prepared.merge is not None:
            return self._merge(items)
        if prepared.stage is not None:
            self._load(prepared.stage, prepared.names, rows)
        else:
            if self.plan.mode is SyncMode.SNAPSHOT:
                rows = [(*row, prepared.snapshot_value) for row in rows]
            self._load(prepared.ref, prepared.insert_names, rows)
        return [RecordResult.INSERTED] * len(rows)

    def _merge(self, items: Sequence[tuple[int, Row]]) -> list[RecordResult]:
        """Stage the records, read which match, then apply the mode's statements."""
        merge = self.prepared.merge
        assert merge is not None
        if merge.insert_directly and self._looks_new:
            inserted = self._insert_directly(items)
            if inserted is not None:
                return inserted
        self.execute(self.clear_stage_sql.format(stage=merge.tables.stage))
        staged = [(i, *(row[p] for p in merge.positions)) for i, row in items]
        self._load(merge.stage, merge.columns, staged)
        found = {int(row[0]): (bool(row[1]), bool(row[-1])) for row in self.fetch(*merge.preselect)}
        for sql, params in merge.statements:
            self.execute(sql, params)
        self._looks_new = not any(matched for matched, _ in found.values())
        return outcomes(self.plan.mode, [i for i, _ in items], found)

    def _insert_directly(self, items: Sequence[tuple[int, Row]]) -> list[RecordResult] | None:
        """Insert the records straight into the table, skipping the staging
        table: the fast path of a first load, where every identity is new.

        The identity's unique key makes it exact: if no row conflicts, every
        record was new (INSERTED). On any failure the attempt is undone to a
        savepoint and None returned, so the batch takes the staged path,
        which also decides the results of the records at fault. The attempt
        is made again only after a batch without a match was applied.
        """
        prepared = self.prepared
        self.execute("SAVEPOINT syncline_direct")
        try:
            self._load(prepared.ref, prepared.names, [row for _, row in items])
        except self.target._driver_errors():
            if self._is_broken():
                raise
            self.execute("ROLLBACK TO SAVEPOINT syncline_direct")
            self._looks_new = False
            return None
        return [RecordResult.INSERTED] * len(items)

    def _record_fault(self, exc: Exception) -> str:
        """The message of a record's fault; raises `ConnectorError` for the target's."""
        if not isinstance(exc, self.target._driver_errors()):
            raise exc
        message = self.target.scrub(self.target._error_message(exc))
        if self._is_broken() or not self._is_record_fault(exc):
            raise ConnectorError(message) from None
        return message

    # ------------------------------------------------------------ finishing

    def finish(self) -> None:
        """For replace, swap the staged rows in: one transaction deletes the
        target's rows and inserts the staged ones, so readers see the old or
        the new contents, never a mix; the table itself (indexes, grants,
        foreign keys pointing at it) stays as it is."""
        if self._closed or self._finished:
            return
        self._finished = True
        prepared = self.prepared
        if prepared.stage is None:
            return
        stage, target = self.qualified(prepared.stage), self.qualified(prepared.ref)
        with self.target._translate(ConnectorError):
            if (
                not self.fetch(f"SELECT 1 FROM {stage} LIMIT 1")
                and not self.plan.allow_empty_replace
            ):
                count = int(self.fetch(f"SELECT COUNT(*) FROM {target}")[0][0])
                if count:
                    raise ConnectorError(
                        f"refusing to replace {prepared.ref.value} ({count} rows) with 0 records; "
                        "run a resync to empty it"
                    )
            columns = ", ".join(self.q(name) for name in prepared.names)

            def swap() -> None:
                self.execute(f"DELETE FROM {target}")
                self.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage}")

            self._transaction(swap)
            self._drop_stage()

    def _drop_stage(self) -> None:
        prepared: Prepared | None = getattr(self, "prepared", None)
        if prepared is not None and prepared.stage is not None:
            self.execute(f"DROP TABLE IF EXISTS {self.qualified(prepared.stage)}")
            prepared.stage = None

    def close(self) -> None:
        """Drop an unfinished replace's staging table (the target keeps its
        old contents) and close the connection. Never raises."""
        if self._closed:
            return
        self._closed = True
        if self.conn is None:
            return
        with suppress(Exception):
            self._drop_stage()
        self.target._close(self.conn)
