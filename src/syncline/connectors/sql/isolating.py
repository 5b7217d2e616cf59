"""Isolating a batch's bad records inside its transaction: `IsolatingWriter`.

The part of `SqlWriter` that decides, for a batch the database refused
whole, which records are bad: the CHECK constraints (`sql.checks`) and,
after a clash, the unique indexes (`sql.uniques`) decided set-wise after a
failure, then attempts at parts of the batch, each in
a savepoint (`isolate`). Parts of several records go from Arrow when the
batch loads that way; a record is attempted alone only as a row, so its
message is what the row path gives. Faults the column definitions make
certain are found before, in Arrow (`sql.screen`), by the writer.

Every savepoint that wrote and was released keeps its subtransaction id
until the batch commits; past 64 of them PostgreSQL's per-backend cache
overflows and other sessions' snapshots look them up in `pg_subtrans`
until then. The screens keep that rare (a batch whose bad records are all
found set-wise takes two or three savepoints); a batch with many bad
records only the server can find one by one (foreign keys, triggers,
unique clashes not certain set-wise) takes about one released savepoint
per bad record.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from contextlib import suppress

import pyarrow as pa

from syncline.connectors.sql.catalog import Column, TableRef
from syncline.connectors.sql.checks import CheckConstraint, usable_checks, violations_sql
from syncline.connectors.sql.dialect import BulkRefused, Row, WriteDialect
from syncline.connectors.sql.isolate import Refused, isolate
from syncline.connectors.sql.merge import ROW_COLUMN
from syncline.connectors.sql.prepare import Prepared, create_stage
from syncline.connectors.sql.records import ArrowRecords, Records, RowRecords
from syncline.connectors.sql.screen import ColumnLimits
from syncline.connectors.sql.uniques import SCREENED_MODES as UNIQUE_SCREENED_MODES
from syncline.connectors.sql.uniques import Clash, UniqueIndex, clash_sql, decide
from syncline.connectors.sql.values import batch_rows
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import BatchResult, RecordResult, WritePlan

NULL_SCREENED_MODES = frozenset(
    {SyncMode.APPEND, SyncMode.SNAPSHOT, SyncMode.REPLACE, SyncMode.UPDATE_OR_CREATE}
)
"""Modes that write every record's values as they are, so NULL into NOT NULL is certain
to fail (create and update leave some records unwritten)."""


class IsolatingWriter(WriteDialect):
    """Isolation for `SqlWriter` (see the module docstring)."""

    plan: WritePlan
    prepared: Prepared
    _bulk: bool
    _limits: list[ColumnLimits]
    """What the written columns refuse for certain (set at open, see `sql.screen`)."""
    _checks: list[CheckConstraint]
    """CHECK constraints decided set-wise on a failure (set at open, see `sql.checks`)."""
    _check_stage: tuple[TableRef, list[str], list[int]] | None
    """Where records are staged to evaluate `_checks`: table, columns, value positions."""
    _screen_first: bool
    """Whether the last screening found bad records: a mapping that breaks a
    CHECK or repeats a unique key does so batch after batch, so the next clean
    batch is screened before any attempt rather than after a failed one."""
    _uniques: list[tuple[UniqueIndex, str | None]]
    """Unique indexes decided set-wise on a failure, each with the SQL spelling
    a staged record's key values for its message (set at open, see `sql.uniques`)."""
    _uniques_off: bool
    """Set while a batch is written again because a record `sql.uniques` took
    as applied was refused: the batch is then isolated without that screen."""
    _leaders: set[int]
    _unique_first: bool
    """Whether the last unique screen found clashes: the next batch screened first
    (`_screen_first`) screens the unique indexes too."""
    """Records the unique screen of the open transaction took as applied."""

    def _typed(self, batch: pa.RecordBatch) -> bool:
        """Whether `batch` carries the plan's columns with their types."""
        schema = batch.schema
        for column in self.plan.columns:
            index = schema.get_field_index(column.name)
            if index < 0 or schema.field(index).type != column.arrow_type:
                return False
        return True

    @abstractmethod
    def _apply(self, records: Records) -> list[RecordResult]:
        """Apply `records` by the plan's mode in the open transaction."""

    @abstractmethod
    def _mark(self, indexes: Sequence[int], results: Sequence[RecordResult]) -> None:
        """Record the commit marker of what the open transaction applied."""

    @abstractmethod
    def _record_fault(self, exc: Exception) -> str:
        """The message of a record's fault; raises for the target's."""

    @abstractmethod
    def _named_for_people(self, message: str) -> str:
        """`message` naming the target table where the database named a staging one."""

    def _rows(self, batch: pa.RecordBatch) -> list[Row]:
        """The batch's records as rows of driver values."""
        return batch_rows(batch, self.prepared.names, self.prepared.converters)

    def _isolate(
        self,
        batch: pa.RecordBatch,
        indexes: list[int],
        rows: list[Row] | None,
        failed: str | None,
        prescreen: bool = False,
    ) -> dict[int, RecordResult | Refused]:
        """Apply the records at `indexes` inside the open transaction, isolating
        bad records (see `isolate`), then mark what was applied.

        After a failed bulk attempt (`failed`), or when asked (`prescreen`),
        the CHECK constraints are screened first, and the unique indexes when
        the failure was a clash on one (or the last screen found clashes);
        else both after the first failed attempt, the unique indexes again
        only on a clash. Parts of several records are loaded from Arrow when
        the batch loads that way (`_part`); a record attempted alone always
        goes as a row, so its message is the row path's.
        """
        decided: dict[int, RecordResult | Refused] = {}
        self._leaders = set()
        # A record alone is attempted: cheaper than staging it, and the message is the database's.
        staged = self._check_stage is not None and len(indexes) > 1
        checks_left = staged and bool(self._checks)
        uniques_left = staged and bool(self._uniques) and not self._uniques_off
        last: list[str | None] = [failed]

        def screen(part: Sequence[int]) -> dict[int, str]:
            """Screen `part` by what is left to screen; by index."""
            nonlocal checks_left, uniques_left
            uniques = uniques_left and (self._unique_first or self._clash_message(last[-1]))
            if not (checks_left or uniques):
                return {}
            found = self._violations(batch, part, rows, checks_left, uniques)
            checks_left = False
            uniques_left = uniques_left and not uniques
            self._screen_first = bool(found)
            return found

        if failed is not None or prescreen:
            found = screen(indexes)
            for index, message in found.items():
                decided[index] = Refused(message)
            if decided:
                indexes = [index for index in indexes if index not in decided]
                failed = None
        if len(indexes) == 1:
            failed = None  # a bulk message never stands for a record's own

        def attempt(part: Sequence[int]) -> list[RecordResult]:
            return self._attempt(batch, part, rows)

        def fault(exc: Exception) -> str:
            message = self._record_fault(exc)
            last.append(message)
            return message

        def violations(part: Sequence[int]) -> dict[int, str]:
            found = screen(part)
            return {n: found[index] for n, index in enumerate(part) if index in found}

        more = checks_left or uniques_left
        outcomes = isolate(indexes, attempt, fault, violations if more else None, failed)
        applied: list[tuple[int, RecordResult]] = []
        for index, outcome in zip(indexes, outcomes, strict=True):
            decided[index] = outcome
            if not isinstance(outcome, Refused):
                applied.append((index, outcome))
        if any(isinstance(decided.get(index), Refused) for index in self._leaders):
            raise UniquesMisjudged  # the batch is written again without the unique screen
        self._mark([index for index, _ in applied], [outcome for _, outcome in applied])
        return decided

    def _part(
        self, batch: pa.RecordBatch, part: Sequence[int], rows: list[Row] | None, arrow: bool
    ) -> Records:
        """The records of `batch` at `part`: from Arrow when `arrow`, else as rows."""
        if arrow:
            taken = batch.select(self.prepared.names)
            if len(part) < batch.num_rows:
                taken = taken.take(pa.array(part, pa.int64()))
            return ArrowRecords(taken, part)
        if rows is not None:
            return RowRecords([(index, rows[index]) for index in part])
        taken = batch.take(pa.array(part, pa.int64()))
        return RowRecords(list(zip(part, self._rows(taken), strict=True)))

    def _prepare_screening(self, existing: dict[str, Column]) -> None:
        """Decide what is screened before attempts: the written columns' limits,
        and the CHECK constraints decided set-wise (staged in a table of their
        own where the mode has no staging table)."""
        plan, prepared = self.plan, self.prepared
        staged = list(plan.identity) if plan.mode is SyncMode.REMOVE else prepared.names
        create_only = {c.name for c in plan.columns if c.create_only}
        for name in staged:
            column = existing.get(name)
            limits = None if column is None else self._column_limits(column)
            if limits is not None and name in create_only:
                limits = ColumnLimits(**{**limits.__dict__, "not_null": False})
            if limits is not None:
                self._limits.append(limits)
        if plan.mode is SyncMode.REMOVE:
            return
        checks = self._check_constraints(prepared.ref)
        triggers = self._has_triggers(prepared.ref)
        if checks:
            self._checks = usable_checks(plan, checks, triggers)
        if len(self._checks) == len(checks) and not triggers:
            self._prepare_uniques(existing)
        if not self._checks and not self._uniques:
            return
        if prepared.merge is not None:
            merge = prepared.merge
            self._check_stage = (merge.stage, merge.columns, merge.positions)
        else:
            stage = create_stage(self, prepared.ref, prepared.names)
            positions = list(range(len(prepared.names)))
            self._check_stage = (stage, [ROW_COLUMN, *prepared.names], positions)

    def _prepare_uniques(self, existing: dict[str, Column]) -> None:
        """Decide which unique indexes are decided set-wise (see `sql.uniques`):
        all of them or none, and only when that is exact."""
        plan, prepared = self.plan, self.prepared
        if plan.mode not in UNIQUE_SCREENED_MODES:
            return
        indexes = self._unique_indexes(prepared.ref)
        if not indexes:
            return
        written = {c.name for c in plan.columns if not c.create_only}
        unwritten = set(existing) - set(prepared.insert_names)
        if any(
            not existing[name].nullable
            and not existing[name].has_default
            and not existing[name].generated
            for name in unwritten
        ):
            return  # every insert is refused for a NOT NULL column first
        identity = frozenset(plan.identity)
        uniques: list[tuple[UniqueIndex, str | None]] = []
        for index in indexes:
            if identity and frozenset(index.columns) == identity:
                continue  # the key the mode merges on: never a clash
            if not set(index.columns) <= written:
                return
            values = [f"s.{self.q(name)}" for name in index.columns]
            uniques.append((index, self._duplicate_value_sql(index, existing, values)))
        self._uniques = uniques

    def _violations(
        self,
        batch: pa.RecordBatch,
        indexes: Sequence[int],
        rows: list[Row] | None,
        checks: bool,
        uniques: bool,
    ) -> dict[int, str]:
        """The records at `indexes` that break one of `_checks` (when `checks`),
        or that the unique indexes certainly refuse (when `uniques`), by index,
        with the database's message: staged in a savepoint, evaluated in one
        query for the checks and one per unique index. A staging the database
        refuses finds nothing."""
        assert self._check_stage is not None
        stage, columns, positions = self._check_stage
        refusals: tuple[type[Exception], ...] = (*self.target._driver_errors(), BulkRefused)
        found: dict[int, str] = {}
        self.execute("SAVEPOINT syncline_screen")
        try:
            if self.screen_settings_sql is not None:
                self.execute(self.screen_settings_sql)
            self.execute(self.clear_stage_sql.format(stage=self.qualified(stage)))
            records = self._part(batch, indexes, rows, arrow=self._bulk and self._typed(batch))
            records.load_indexed(self, stage, columns, positions)
            if checks and self._checks:
                sql = violations_sql(self.qualified(stage), self.q(ROW_COLUMN), self._checks)
                found = {
                    index: self._checks[int(which)].message
                    for which, first, last in self.fetch(sql)
                    for index in range(int(first), int(last) + 1)
                }
            if uniques:
                rest = [index for index in indexes if index not in found]
                clashes = self._unique_violations(rest)
                self._unique_first = bool(clashes)
                found.update(clashes)
        except refusals:
            if self._is_broken():
                raise
            found = {}
            self._leaders = set()
        # Undone either way: the staged records are not needed again, and an
        # emptied stage costs nothing to clear next time.
        self.execute("ROLLBACK TO SAVEPOINT syncline_screen")
        self.execute("RELEASE SAVEPOINT syncline_screen")
        return found

    def _unique_violations(self, indexes: Sequence[int]) -> dict[int, str]:
        """The staged records at `indexes` the unique indexes certainly refuse
        (see `sql.uniques`); the records taken as applied join `_leaders`."""
        assert self._check_stage is not None
        stage = self.qualified(self._check_stage[0])
        target = self.qualified(self.prepared.ref)
        identity = (
            [self.q(name) for name in self.plan.identity]
            if self.plan.mode is SyncMode.UPDATE_OR_CREATE
            else []
        )
        clashes: dict[str, list[Clash]] = {}
        by_name: dict[str, UniqueIndex] = {}
        for index, value_sql in self._uniques:
            columns = [self.q(name) for name in index.columns]
            sql = clash_sql(stage, target, self.q(ROW_COLUMN), columns, identity, value_sql)
            by_name[index.name] = index
            clashes[index.name] = [
                Clash(int(r), bool(c), bool(p), int(g), v if isinstance(v, str) else None)
                for r, c, p, g, v in self.fetch(sql)
            ]

        def message(name: str, value: str | None) -> str | None:
            said = self._duplicate_message(by_name[name], value)
            return None if said is None else self._named_for_people(self.target.scrub(said))

        decision = decide(indexes, clashes, message)
        self._leaders |= decision.leaders
        return decision.refused

    def _attempt(
        self, batch: pa.RecordBatch, part: Sequence[int], rows: list[Row] | None
    ) -> list[RecordResult]:
        """Apply the records at `part` in a savepoint of the open transaction
        (undone if it raises). Several records go from Arrow when the batch
        loads that way; if the database will not take them so exactly
        (`BulkRefused`), they go again as rows.

        A savepoint rolled back is also released, so attempts never nest.
        """
        arrow = self._bulk and len(part) > 1 and self._typed(batch)
        while True:
            self.execute("SAVEPOINT syncline_part")
            try:
                results = self._apply(self._part(batch, part, rows, arrow))
            except BaseException as exc:
                with suppress(Exception):
                    self.execute("ROLLBACK TO SAVEPOINT syncline_part")
                    self.execute("RELEASE SAVEPOINT syncline_part")
                if arrow and isinstance(exc, BulkRefused):
                    arrow = False
                    continue
                raise
            self.execute("RELEASE SAVEPOINT syncline_part")
            return results

    def _clash_message(self, message: str | None) -> bool:
        """Whether `message` says a record clashed on one of `_uniques`."""
        name = None if message is None else self._duplicate_key(message)
        return name is not None and any(index.name == name for index, _ in self._uniques)

    def _clashes_on_a_screened_key(self, exc: Exception) -> bool:
        """Whether `exc` says a record clashed on one of `_uniques` (never the
        identity's key): the batch fails whole, however the mode writes it."""
        if not self._uniques or self._uniques_off:
            return False
        if isinstance(exc, BulkRefused):
            message = exc.fault
        elif isinstance(exc, self.target._driver_errors()):
            message = self.target._error_message(exc)
        else:
            return False
        return self._clash_message(message)

    def _breaks_a_check(self, exc: Exception) -> bool:
        """Whether `exc` says a record broke one of `_checks` (whose verdict
        is the same however the mode writes the record)."""
        if isinstance(exc, BulkRefused):
            message = exc.fault
        elif isinstance(exc, self.target._driver_errors()):
            message = self.target._error_message(exc)
        else:
            return False
        return message is not None and any(check.message == message for check in self._checks)


class UniquesMisjudged(Exception):
    """A record the unique screen took as applied was refused: the batch's
    transaction is rolled back and the batch written again without that screen."""


def result_of(
    size: int,
    faults: dict[int, str],
    decided: dict[int, RecordResult | Refused],
    messages: dict[int, str] | None = None,
) -> BatchResult:
    """The batch's result: records the columns refused, then what was decided."""
    results: list[RecordResult] = []
    messages = dict(messages or {})
    for index in range(size):
        if index in faults:
            results.append(RecordResult.REJECTED)
            messages[index] = faults[index]
            continue
        outcome = decided[index]
        if isinstance(outcome, Refused):
            results.append(RecordResult.REJECTED)
            messages[index] = outcome.message
        else:
            results.append(outcome)
    return BatchResult(results, {index: messages[index] for index in sorted(messages)})
