"""`SqlWriter`: one writer for every SQL database, over the `WriteDialect` hooks.

Opening a writer connects (read-write, on its own connection) and prepares
the table for the plan (`prepare`). Every `write` is applied in one
transaction committed before it returns. Records of identity modes are
screened first: a NULL identity is rejected, and of several records with
one identity in a batch only one is applied (`_screen`). Then records that
a column's definition refuses for certain (too long, out of range, NULL
into NOT NULL) are rejected in Arrow (`sql.screen`). The rest is applied in
one transaction, isolating bad records inside it: each attempt at a part
runs in a savepoint (`isolate`), and after a failure the CHECK constraints
and unique indexes that can be decided set-wise are evaluated on the server
(`sql.checks`, `sql.uniques`).

A clean batch takes the bulk path first, when the dialect loads Arrow and
every column's values load exactly (`_can_load_arrow`, decided at open):
screened in Arrow (no NULL and no repeated identity, `_clean`), it is
applied whole in one transaction through `_load_arrow`, never turned into
Python rows. If the database refuses a record there (or `BulkRefused`),
the attempt is rolled back and the batch takes the row path above, so
results and messages are exactly what the row path gives.

With a plan `mark` (and a table that rolls back), every transaction that
commits records also records a commit marker naming them (`sql.markers`):
one per batch, bad records or not, so a crash before the engine journals
the batch cannot make it send the batch again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.checks import CheckConstraint
from syncline.connectors.sql.dialect import BulkRefused, Row
from syncline.connectors.sql.isolating import (
    NULL_SCREENED_MODES,
    IsolatingWriter,
    UniquesMisjudged,
    result_of,
)
from syncline.connectors.sql.markers import encode_outcomes, marker_ref
from syncline.connectors.sql.merge import IDENTITY_MODES, outcomes
from syncline.connectors.sql.prepare import Prepared, prepare
from syncline.connectors.sql.records import ArrowRecords, Records
from syncline.connectors.sql.screen import ColumnLimits, column_faults
from syncline.connectors.sql.target import SqlTarget
from syncline.connectors.sql.uniques import UniqueIndex
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitMarking,
    RecordResult,
    WritePlan,
    Writer,
)
from syncline.errors import ConnectorError

T = TypeVar("T")


class SqlWriter(IsolatingWriter, Writer):
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
        self._bulk = False
        """Whether clean batches take the bulk path (see `_bulk_possible`)."""
        self._number: int | None = None
        """The number of the batch being written, for its commit markers."""
        self._limits: list[ColumnLimits] = []
        """What the written columns refuse for certain (set at open, see `sql.screen`)."""
        self._checks: list[CheckConstraint] = []
        """CHECK constraints decided set-wise on a failure (set at open, see `sql.checks`)."""
        self._check_stage: tuple[TableRef, list[str], list[int]] | None = None
        """Where records are staged to screen them: table, columns, value positions."""
        self._screen_first = False
        self._uniques: list[tuple[UniqueIndex, str | None]] = []
        """Unique indexes decided set-wise on a failure (set at open, see `sql.uniques`)."""
        self._uniques_off = False
        self._leaders: set[int] = set()
        self._whole = False
        self._unique_first = False
        """Set while a whole clean batch is attempted in bulk (see `_insert_directly`)."""

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
                existing = {c.name: c for c in target._columns(writer.conn, writer.prepared.ref)}
                writer._bulk = writer.loads_arrow and writer._bulk_possible(existing)
                writer._prepare_screening(existing)
                writer._start_marking()
        except BaseException:
            writer.close()
            raise
        return writer

    # ------------------------------------------------------------ writing

    def write(self, batch: pa.RecordBatch, number: int | None = None) -> BatchResult:
        """Apply one batch by the plan's mode in one transaction (see `Writer.write`)."""
        if self._closed or self._finished:
            raise RuntimeError("the writer is closed")
        self._number = number
        faults = column_faults(
            batch, self._limits, null_checked=self.plan.mode in NULL_SCREENED_MODES
        )
        rest = [index for index in range(batch.num_rows) if index not in faults]
        failed: str | None = None
        # Clean: every identity once in the whole batch, so the column faults
        # take nothing from the identity screen.
        if rest and self._bulk and self._clean(batch):
            if self._screen_first:
                return self._write_rows(batch, faults, None, prescreen=True)
            taken = batch if not faults else batch.take(pa.array(rest, pa.int64()))
            records = ArrowRecords(taken.select(self.prepared.names), rest)
            self._whole = True
            try:
                applied = self._transaction(lambda: self._apply_marked(records))
            except BulkRefused as exc:
                failed = exc.fault
            except self.target._driver_errors() as exc:
                failed = self._record_fault(exc)  # raises unless a record is at fault
            else:
                return result_of(batch.num_rows, faults, dict(zip(rest, applied, strict=True)))
            finally:
                self._whole = False
        self._unique_first = False
        return self._write_rows(batch, faults, failed)

    def _write_rows(
        self,
        batch: pa.RecordBatch,
        faults: dict[int, str],
        failed: str | None,
        prescreen: bool = False,
    ) -> BatchResult:
        """The row path: screen, then apply in one transaction, isolating bad
        records. `faults` are the records the columns refuse (`column_faults`);
        `failed` is the message of a bulk attempt at all the other records
        (clean then) that failed for a record's fault; `prescreen` screens
        the CHECK constraints before any attempt (see `_screen_first`)."""
        size = batch.num_rows
        results: list[RecordResult | None] = [None] * size
        messages: dict[int, str] = {}
        rows: list[Row] | None = None
        if self.plan.mode in IDENTITY_MODES and failed is None and not self._clean(batch):
            rows = self._rows(batch)
            indexes = self._screen(rows, results, messages)
        else:
            indexes = list(range(size))  # a clean batch has every identity once
        # The identity screen decides first: a record it skipped is not refused.
        faults = {index: message for index, message in faults.items() if results[index] is None}
        indexes = [index for index in indexes if index not in faults]
        if rows is None and not (self._bulk and self._typed(batch)):
            rows = self._rows(batch)  # every attempt goes by rows: convert once
        try:
            decided = self._transaction(
                lambda: self._isolate(batch, indexes, rows, failed, prescreen)
            )
        except UniquesMisjudged:
            # Rare (a record refused by what no screen sees, such as a value too
            # large for an index): written again, every record attempted.
            self._uniques_off = True
            try:
                decided = self._transaction(
                    lambda: self._isolate(batch, indexes, rows, failed, prescreen)
                )
            finally:
                self._uniques_off = False
        for index, result in enumerate(results):
            if result is not None:
                decided[index] = result
        return result_of(size, faults, decided, messages)

    def _bulk_possible(self, existing: dict[str, Column]) -> bool:
        """Whether the dialect can load this plan's columns from Arrow exactly.

        Float identities never take the bulk path: Arrow and Python disagree
        on whether -0.0 and 0.0, or two NaNs, are the same identity.
        """
        plan, prepared = self.plan, self.prepared
        identity = set(plan.identity)
        if any(pa.types.is_floating(c.arrow_type) for c in plan.columns if c.name in identity):
            return False
        wanted = [(c.name, c.arrow_type) for c in plan.columns]
        if plan.mode is SyncMode.SNAPSHOT and plan.snapshot_column:
            wanted.append((plan.snapshot_column, pa.scalar(prepared.snapshot_value).type))
        if any(name not in existing for name, _ in wanted):
            return False
        return self._can_load_arrow(
            prepared.ref, [(arrow_type, existing[name]) for name, arrow_type in wanted]
        )

    def _clean(self, batch: pa.RecordBatch) -> bool:
        """Whether `batch` needs no screening: it carries the plan's columns
        with their types and, for identity modes, every identity is present
        and unique in the batch (checked in Arrow)."""
        if batch.num_rows == 0 or not self._typed(batch):
            return False
        if self.plan.mode not in IDENTITY_MODES:
            return True
        keys = [batch.column(name) for name in self.plan.identity]
        if any(key.null_count for key in keys):
            return False
        if len(keys) == 1:
            distinct = pc.count_distinct(keys[0]).as_py()
        else:
            names = [f"k{i}" for i in range(len(keys))]
            distinct = pa.table(keys, names=names).group_by(names).aggregate([]).num_rows
        return bool(distinct == batch.num_rows)

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

    def _apply(self, records: Records) -> list[RecordResult]:
        prepared = self.prepared
        if prepared.merge is not None:
            return self._merge(records)
        if prepared.stage is not None:
            records.load(self, prepared.stage, prepared.names)
        elif self.plan.mode is SyncMode.SNAPSHOT:
            records.load(self, prepared.ref, prepared.insert_names, prepared.snapshot_value)
        else:
            records.load(self, prepared.ref, prepared.insert_names)
        return [RecordResult.INSERTED] * records.count

    def _apply_marked(self, records: Records) -> list[RecordResult]:
        """`_apply`, then, when commits are marked, the marker of what it applied
        (in the same transaction)."""
        results = self._apply(records)
        self._mark(records.indexes, results)
        return results

    def _mark(self, indexes: Sequence[int], results: Sequence[RecordResult]) -> None:
        """Record, when commits are marked, the marker of the records at batch
        `indexes` (ascending) applied with `results` in the open transaction."""
        if self.commit_marking is CommitMarking.BATCH and self._number is not None and results:
            mark = self.plan.mark
            assert mark is not None
            values = [
                mark.sync_id,
                mark.execution_id,
                self._number,
                indexes[0],
                encode_outcomes(indexes, results),
            ]
            marks = ", ".join([self.placeholder] * len(values))
            table = self.qualified(marker_ref(self.prepared.ref))
            try:
                self.execute(
                    f"INSERT INTO {table} (sync_id, execution_id, batch, first_row, outcomes)"
                    f" VALUES ({marks})",
                    values,
                )
            except self.target._driver_errors() as exc:
                # Never the records' fault: the batch must fail, not be isolated.
                message = self.target.scrub(self.target._error_message(exc))
                raise ConnectorError(f"cannot record the commit marker: {message}") from None

    def _start_marking(self) -> None:
        """Decide whether commits are marked; if so, make sure the markers table
        exists and drop this sync's markers (the engine read them back before
        opening this writer; an earlier attempt of this very execution may have
        left some).

        A table that does not roll back, or markers the user may not create,
        leave commits unmarked, with the reason in `marking_problem`.
        """
        plan, ref = self.plan, self.prepared.ref
        if plan.mark is None or plan.mode is SyncMode.REPLACE:
            return
        reason = self.target._untransactional(self.conn, ref)
        table = marker_ref(ref)
        if reason is None:
            try:
                self._ensure_marker_table()
                reason = self.target._untransactional(self.conn, table)
            except self.target._driver_errors() as exc:
                if self._is_broken():
                    raise
                reason = self.target.scrub(self.target._error_message(exc))
        if reason is not None:
            self.marking_problem = (
                f"commits to {ref.value} are not marked ({reason}): after a crash, "
                "the batch being written may be sent again"
            )
            return
        self.execute(
            f"DELETE FROM {self.qualified(table)} WHERE sync_id = {self.placeholder}",
            [plan.mark.sync_id],
        )
        self.commit_marking = CommitMarking.BATCH

    def _ensure_marker_table(self) -> None:
        """Create the markers table unless it exists; a writer creating it at the same
        time is no failure."""
        table = marker_ref(self.prepared.ref)
        if self.target._relation_kind(self.conn, table) is not None:
            return
        try:
            self.execute(self.commit_table_sql.format(table=self.qualified(table)))
        except self.target._driver_errors():
            if self._is_broken() or self.target._relation_kind(self.conn, table) is None:
                raise

    def _merge(self, records: Records) -> list[RecordResult]:
        """Stage the records, read which match, then apply the mode's statements."""
        merge = self.prepared.merge
        assert merge is not None
        if merge.insert_directly and self._looks_new:
            inserted = self._insert_directly(records)
            if inserted is not None:
                return inserted
        self.execute(self.clear_stage_sql.format(stage=merge.tables.stage))
        records.load_indexed(self, merge.stage, merge.columns, merge.positions)
        found = {int(row[0]): (bool(row[1]), bool(row[-1])) for row in self.fetch(*merge.preselect)}
        # Known before the statements run: a part that fails while isolating bad
        # records, its identities all new, leaves the next part inserting directly.
        self._looks_new = not any(matched for matched, _ in found.values())
        for sql, params in merge.statements:
            self.execute(sql, params)
        return outcomes(self.plan.mode, records.indexes, found)

    def _insert_directly(self, records: Records) -> list[RecordResult] | None:
        """Insert the records straight into the table, skipping the staging
        table: the fast path of a first load, where every identity is new.

        The identity's unique key makes it exact: if no row conflicts, every
        record was new (INSERTED). On any failure the attempt is undone to a
        savepoint and None returned, so the batch takes the staged path,
        which also decides the results of the records at fault (or, when a
        CHECK decided set-wise refused a record, the attempt fails: the staged
        path would fail alike). The attempt is made again only after a batch,
        or a part of one, was staged without a match.
        """
        prepared = self.prepared
        refusals: tuple[type[Exception], ...] = (*self.target._driver_errors(), BulkRefused)
        self.execute("SAVEPOINT syncline_direct")
        try:
            records.load(self, prepared.ref, prepared.names)
        except refusals as exc:
            if self._is_broken():
                raise
            self.execute("ROLLBACK TO SAVEPOINT syncline_direct")
            if self._breaks_a_check(exc):
                # The staged path would write the same values: certain to fail too. The
                # identities may still all be new: the next attempt inserts directly again.
                raise
            if self._whole and self._clashes_on_a_screened_key(exc):
                # Most likely the staged path fails too: the batch goes straight to
                # isolation, screened first. Were it wrong, isolation would only
                # try more parts (its results never rest on this failure).
                raise
            self._looks_new = False
            return None
        return [RecordResult.INSERTED] * records.count

    def _record_fault(self, exc: Exception) -> str:
        """The message of a record's fault; raises `ConnectorError` for the target's."""
        if not isinstance(exc, self.target._driver_errors()):
            raise exc
        message = self._named_for_people(self.target.scrub(self.target._error_message(exc)))
        if self._is_broken() or not self._is_record_fault(exc):
            raise ConnectorError(message) from None
        return message

    def _named_for_people(self, message: str) -> str:
        """`message` naming the target table where the database named a staging
        table (or a constraint of one): people know their table, not ours."""
        prepared: Prepared | None = getattr(self, "prepared", None)
        if prepared is None:
            return message
        stages = [prepared.stage, prepared.merge.stage if prepared.merge else None]
        for stage in stages:
            if stage is not None:
                message = message.replace(stage.name, prepared.ref.name)
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
