"""One run of one sync: read -> filter -> override -> map -> spill -> diff -> write -> confirm.

Pass 1 streams the model from the source through the model filter, the
overrides and the mapping into a run-local Parquet file, batch by batch.
Pass 2 has DuckDB compare that file with the sync's confirmed state and
stream the records to send to the writer. Memory holds a few batches and
DuckDB's bounded buffers, never the model.

What is sent:

- `create`, `update`, `updateOrCreate`, `append`, `remove`: records that are
  new or changed since the confirmed state (for `remove`, records that
  appeared in the model), one per key.
- `replace` and `snapshot`: every record of the model, every run.
- `resync` or `sync_all_records`: every record (one per key).
- `skip_initial_backfill`, on the sync's first run: nothing; the model is
  recorded as the state so later runs send only what changes.
- `only_identities`: those keys' records, changed or not; the state does not
  advance. A replace cannot be limited this way (it would empty the rest).

The state advances only after `writer.finish()`, and only for records the
target confirmed (inserted, updated, deleted or skipped): a rejected record
keeps its old hash and is sent again next run; a NOT_FOUND record (update or
remove with no matching target record) is not recorded either, so it is
tried again every run and warned about each time, as Polytomic does. Until
a run completes, the records it got confirmed are kept in a durable journal
(except for a replace, which is all or nothing), so after a crash or a
cancel the next run sends exactly what was not confirmed. Where the writer
marks its commits, a crash between a commit and its journal entry loses
nothing either: the next run recovers the entry from the target's markers
before it uses the state (`engine.recovery`).

With a `state_check` (the runner always gives one), the run first checks
that its state directory holds the state the metadata store recorded and
fails, sending nothing, when it does not (`engine.generation`); each
completed run then marks and reports the next generation.

With tracking columns on the model, a run after a completed one reads only
the rows changed since (`engine.tracking`); keys it does not read keep
their state.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.base import SourceConnector, TargetConnector
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    CommitMarking,
    KeyedWriter,
    RecordKeys,
    SyncContext,
    TargetCondition,
    TargetFilter,
    Writer,
)
from syncline.engine import snapshots
from syncline.engine.canonical import VERSION as HASH_VERSION
from syncline.engine.diff import Diff, confirmed_state_sql
from syncline.engine.duck import connect
from syncline.engine.errors import EngineError
from syncline.engine.filters import compile_filter
from syncline.engine.generation import Generation
from syncline.engine.mapping import ENGINE_COLUMNS, HASH, KEY, KEY_HIGH, KEY_LOW, Mapped, Mapper
from syncline.engine.overrides import compile_overrides
from syncline.engine.pick import SEQ
from syncline.engine.plan import write_plan
from syncline.engine.prefetch import Prefetch
from syncline.engine.records import Recorder
from syncline.engine.recovery import forget_markers, recover
from syncline.engine.snapshots import unfinished_snapshot
from syncline.engine.spec import Counts, RowFilter, RunCanceled, RunHooks, RunSpec
from syncline.engine.spill import OutcomeLog, ParquetSink
from syncline.engine.state import MarkedRun, StateStore, logged_sql
from syncline.engine.tracking import HighWater, Watermark, combine, fingerprint, since
from syncline.engine.values import plain, plain_type, row_numbers
from syncline.errors import CallCanceled, CallTimedOut, ConnectorError, SynclineError

_SEND_EVERYTHING = (SyncMode.REPLACE, SyncMode.SNAPSHOT)
TARGET_DIRECTORY = "target"
"""The folder of a sync's state directory where its target keeps its own memory."""
FEW_RECORDS = 1_000_000
"""Up to this many records read since a watermark, the diff probes the state with a join
(`Diff.records(few=True)`); beyond, it aggregates, which DuckDB keeps within its limit."""
_STREAMED_MODES = (SyncMode.CREATE, SyncMode.UPDATE_OR_CREATE)
"""Modes whose first run writes records as it reads them (`_Run._stream`)."""


def run_sync(
    spec: RunSpec, source: SourceConnector, target: TargetConnector, hooks: RunHooks
) -> Counts:
    """Run `spec` once from `source` to `target`, reporting through `hooks`; the final counts.

    `Counts.total` is the number of records this run tried to sync: records
    handed to the writer plus records the engine refused (see `records`).

    Raises `RunCanceled` when `hooks.cancelled()` turned true between two
    batches or a connector's call was interrupted by it (`CallCanceled`),
    the connectors' `ConnectorError`s with their messages naming the side
    and connection that failed (`source 'name' (type): ...`; a replace of an
    empty model without resync is refused by the writer this way), and
    `EngineError` for anything else. After any of them the confirmed state
    is as before, apart from the journal of records the target confirmed.
    """
    try:
        return _Run(spec, source, target, hooks).run()
    except CallCanceled as error:
        # A database call the cancel interrupted: the run was canceled, nothing failed.
        raise RunCanceled(f"execution {spec.execution_id} was canceled") from error
    except ConnectorError as error:
        named = _named(error, "target", spec.target_connection, target)
        if named is error:
            raise
        raise named from error
    except (SynclineError, RunCanceled):
        raise
    except Exception as error:
        # A connector's secrets could hide in an unexpected driver message; both scrub theirs.
        detail = target.scrub(source.scrub(f"{type(error).__name__}: {error}"))
        raise EngineError(f"the run failed unexpectedly: {detail}") from error


class _Run:
    def __init__(
        self, spec: RunSpec, source: SourceConnector, target: TargetConnector, hooks: RunHooks
    ) -> None:
        self.spec = spec
        self.source = source
        self.target = target
        self.hooks = hooks
        started = spec.started_at or datetime.now(UTC)
        self.now = started if started.tzinfo else started.replace(tzinfo=UTC)
        self.counts = Counts()
        self.read = 0
        self.high_water: HighWater | None = None
        self.print = ""
        self.old_mark: Watermark | None = None
        self.partial = False
        """Whether the model read holds only rows changed since a watermark."""
        self.journaled = False
        """Whether the records this run confirmed are in a durable journal."""
        self.marked = False
        """Whether this run's writer marked its commits (`engine.recovery`)."""
        self.recorder = Recorder(
            self.counts,
            hooks,
            identified=bool(spec.identity),
            retry_rejected=spec.options.retry_rejected,
        )

    def run(self) -> Counts:
        options = self.spec.options
        if self.spec.batch_size < 1:
            raise EngineError(f"batch size must be at least 1, not {self.spec.batch_size}")
        if options.only_identities is not None and self.spec.mode is SyncMode.REPLACE:
            raise EngineError(
                "a replace cannot be limited to some identities: it would remove every other record"
            )
        generation = self._generation()
        if generation is not None:
            generation.require_directory(self.spec.state_dir)
        with StateStore(self.spec.state_dir) as store:
            if generation is not None:
                generation.settle(store)
            self.target.attach(self._context())
            recover(store, self.target, self.spec, self.hooks)
            model_path = store.run_dir / "model.parquet"
            if store.hash_version != HASH_VERSION:
                self.hooks.log(
                    "warning",
                    f"this sync's state was recorded with change hash version "
                    f"{store.hash_version}; this Syncline computes version {HASH_VERSION}, "
                    "so every record looks changed once and is sent again",
                )
            tracked = self._tracked_since(store)
            log: OutcomeLog | None = None
            spilled = 0
            if self._streams(store):
                columns, log = self._stream(store, tracked)
            else:
                columns, spilled = self._spill(model_path, tracked)
            # Hand the batches' freed memory back before DuckDB takes its share: Arrow's
            # allocator keeps it otherwise (10M records: peak RSS 297 MB instead of 345).
            pa.default_memory_pool().release_unused()
            connection = connect(store.run_dir / "duckdb", self.spec.memory_limit)
            try:
                new_state: Callable[[], str] | None
                diff: Diff | None = None
                if log is not None:
                    # A first run: the state is what it got confirmed.
                    confirmed = logged_sql([str(path) for path in log.files])
                    new_state = functools.partial(confirmed_state_sql, confirmed)
                else:
                    diff = Diff(connection, model_path, store.old_state_sql())
                    few = self.partial and spilled <= FEW_RECORDS
                    new_state = self._send(store, diff, columns, few=few)
                if new_state is not None:
                    if not self._keeps_journal(store, diff):
                        store.commit(connection, new_state())
                    store.save_watermark(self._watermark(store))
                    store.settle()
                    if generation is not None:
                        generation.advance(store)
                    if self.marked:
                        forget_markers(self.target, self.spec, self.hooks)
            finally:
                connection.close()
        return self.counts

    def _context(self) -> SyncContext:
        """What the target is told of the sync it writes for."""
        spec = self.spec
        return SyncContext(
            sync_id=spec.sync_id,
            execution_id=spec.execution_id,
            directory=spec.state_dir / TARGET_DIRECTORY,
            sync_name=spec.sync_name,
            test=spec.options.only_identities is not None,
            log=self.hooks.log,
        )

    def _generation(self) -> Generation | None:
        """The check of the state against the metadata store's record, when the spec has one."""
        check = self.spec.state_check
        if check is None:
            return None
        resync = self.spec.options.resync
        return Generation(check, self.spec.execution_id, self.hooks, resync=resync)

    def _keeps_journal(self, store: StateStore, diff: Diff | None) -> bool:
        """Whether this run leaves its journal as the change to the state instead of
        rewriting it, while the journals are small beside the state (`keep_journal`).

        The journal overlaid on the state is the new state when the run read
        only rows changed since the watermark (keys it did not read keep their
        state), or read the whole model and the model lost no key of the state
        (no key is to be dropped). A state of another hash version is always
        rewritten, so that it is stamped with this one.
        """
        if not self.journaled or store.hash_version != HASH_VERSION:
            return False
        complete = diff is not None and diff.gone == 0
        return (self.partial or complete) and store.keep_journal()

    def _streams(self, store: StateStore) -> bool:
        """Whether this run writes records as it reads them (see `_stream`)."""
        spec, options = self.spec, self.spec.options
        return bool(
            store.is_new
            and spec.identity
            and spec.mode in _STREAMED_MODES
            and options.only_identities is None
            and not options.skip_initial_backfill
        )

    # ------------------------------------------------------------- tracking

    def _tracks(self) -> bool:
        """Whether this run keeps a watermark of the model's tracking columns."""
        spec, options = self.spec, self.spec.options
        return bool(
            spec.tracking_columns
            and spec.mode not in _SEND_EVERYTHING
            and options.only_identities is None
        )

    def _tracked_since(self, store: StateStore) -> TargetFilter | None:
        """The source hint limiting this run to rows changed since the last one, if any."""
        options = self.spec.options
        self.high_water = HighWater(self.spec.tracking_columns) if self._tracks() else None
        self.print = fingerprint(self.spec) if self.high_water is not None else ""
        self.old_mark = Watermark.from_json(store.watermark) if store.watermark else None
        if self.high_water is None or options.resync or options.sync_all_records:
            return None
        if store.is_new or self.old_mark is None or self.old_mark.fingerprint != self.print:
            return None
        hint = since(self.old_mark, self.spec.tracking_columns)
        if hint is not None:
            marks = ", ".join(f"{k} >= {v[1]}" for k, v in self.old_mark.values.items())
            self.hooks.log("info", f"reading only rows changed since the last run ({marks})")
        return hint

    def _watermark(self, store: StateStore) -> str | None:
        """What the committed state keeps for the next run: the new watermark when
        every record of this run is settled, else the old one (its rows are read again)."""
        if self.high_water is None:
            return None
        if self.recorder.unsettled:
            old = self.old_mark
            return old.to_json() if old is not None and old.fingerprint == self.print else None
        return self.high_water.advanced(self.old_mark, self.print).to_json()

    # ------------------------------------------------------------- pass 1

    @contextmanager
    def _model(self, tracked: TargetFilter | None) -> Iterator[_Model]:
        """The model read, filtered, overridden and mapped, batch by batch.

        `tracked` limits the read to rows changed since the last run.
        """
        self.partial = tracked is not None
        with ExitStack() as stack:
            # The source may apply the filter early; the engine still applies it below.
            with self._reading():
                reader = self.source.read(
                    self.spec.source_configuration,
                    batch_size=self.spec.batch_size,
                    where=combine(source_hint(self.spec.model_filter), tracked),
                )
            stack.callback(reader.close)
            schema = pa.schema([f.with_type(plain_type(f.type)) for f in reader.schema])
            mapper = Mapper(self.spec, schema)
            stack.callback(mapper.close)
            # Reading and mapping run one batch ahead on the prefetch thread, which alone
            # uses the reader and the mapper until it is closed (before them: stack order).
            ahead = stack.enter_context(Prefetch(self._mapped(reader, schema, mapper)))
            model = _Model(mapper.schema, self._settled(ahead))
            yield model
        self.hooks.log("info", f"read {self.read} rows, {model.records} records after filters")

    def _mapped(
        self, batches: Iterable[pa.RecordBatch], schema: pa.Schema, mapper: Mapper
    ) -> Iterator[Mapped]:
        """Source batches filtered, overridden and mapped (on the prefetch thread: it
        reports nothing; `_settled` does, on the engine's thread)."""
        keep = compile_filter(self.spec.model_filter, schema, self.now)
        override = compile_overrides(self.spec.overrides, schema, self.now)
        for batch in self._read(batches):
            if not batch.num_rows:
                continue
            self.read += batch.num_rows
            model = plain(batch)
            if self.high_water is not None:
                self.high_water.see(model)
            if keep is not None:
                model = model.filter(keep(model))
            if override is not None:
                model = override(model)
            yield mapper.map(model)

    def _read(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The source's batches, its failures naming the model (`_reading`)."""
        with self._reading():
            yield from batches

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Raise the source's errors as `ConnectorError`s that say which model failed,
        and its query, table or file (an unexpected error stays one: see `run_sync`)."""
        try:
            yield
        except CallCanceled:
            raise
        except SynclineError as error:
            if error.metadata.get(SIDE):
                raise
            spec = self.spec
            model = f"model {spec.model_name!r}" if spec.model_name else "the model"
            what = described_source(spec.source_configuration)
            if isinstance(error, CallTimedOut):
                doing = f"reading {model} ({what})"
                named = _named(error, "source", spec.source_connection, self.source, doing)
                raise named from error
            read = ConnectorError(
                f"reading {model} ({what}) failed: {error.message}", metadata=error.metadata
            )
            raise _named(read, "source", spec.source_connection, self.source) from error

    def _settled(self, mapped: Iterable[Mapped]) -> Iterator[pa.RecordBatch]:
        """The mapped records that have an identity; the others reported as errors."""
        for batch in mapped:
            self._check_cancelled()
            records = batch.batch
            if batch.empty_identity is not None:
                records = self._refuse_empty_identity(records, batch.empty_identity)
            if records.num_rows:
                yield records
            else:
                self.hooks.progress(self.counts, self.read)

    def _spill(self, path: Path, tracked: TargetFilter | None) -> tuple[pa.Schema, int]:
        """Pass 1: the mapped model into `path`, numbered by `SEQ`; the mapped columns
        and how many records were spilled."""
        with self._model(tracked) as model:
            fields = [*model.columns, *ENGINE_COLUMNS, pa.field(SEQ, pa.int64())]
            sink = ParquetSink(path, pa.schema(fields))
            try:
                for records in model.batches:
                    sink.write(records.append_column(SEQ, row_numbers(sink.rows, records.num_rows)))
                    model.records += records.num_rows
                    self.hooks.progress(self.counts, self.read)
            finally:
                sink.close()
        return model.columns, model.records

    def _stream(
        self, store: StateStore, tracked: TargetFilter | None
    ) -> tuple[pa.Schema, OutcomeLog]:
        """A first run: write the records as they are read, with no spill and no diff.

        With no state, every record is to be sent, so nothing needs
        comparing: the target writes batch N while the engine reads and maps
        batch N+1. A record whose identity comes again in a later batch is
        written again (an update: the later record wins), where the two-pass
        path would send one of them and warn about the other. The journal of
        confirmed records becomes the state (`diff.confirmed_state_sql`).
        """
        spec = self.spec
        with self._model(tracked) as model:
            plan = write_plan(spec, model.columns, self.now)
            with self.target.open_writer(plan) as writer:
                log = self._outcome_log(store, writer, durable=not writer.publishes_at_finish)
                self.journaled = log.durable and not log.pending
                if writer.publishes_at_finish:
                    self.recorder.hold()
                for records in model.batches:
                    model.records += records.num_rows
                    self._write(writer, log, records, model.columns)
                self._check_cancelled()
                writer.finish()
                self.recorder.publish()
        return model.columns, log

    def _refuse_empty_identity(self, records: pa.RecordBatch, empty: pa.Array) -> pa.RecordBatch:
        """Report records without identity as errors; the records that have one."""
        complete = pc.is_valid(records.column(KEY))
        if self.spec.options.only_identities is None:
            incomplete = pc.invert(complete)
            fields = pc.filter(empty, incomplete).to_pylist()
            values = records.filter(incomplete).drop_columns(ENGINE_COLUMNS.names)
            messages = [f"identity field {field!r} is empty" for field in fields]
            self.recorder.refused("errors", values, [None] * len(fields), messages)
        return records.filter(complete)

    # ------------------------------------------------------------- pass 2

    def _send(
        self, store: StateStore, diff: Diff, columns: pa.Schema, *, few: bool
    ) -> Callable[[], str] | None:
        """Write what this run sends; what prepares the SQL of the new state (called only
        when the state is rewritten), or None when the state must not advance.

        `few`: the model read is small beside the state (`Diff.records`)."""
        spec, options = self.spec, self.spec.options
        limited = options.only_identities is not None
        distinct = spec.mode not in _SEND_EVERYTHING
        if distinct and spec.identity and not limited:
            self._warn_duplicates(diff, columns)
        if options.skip_initial_backfill and store.is_new and not options.resync and not limited:
            self.hooks.log("info", "the first run skips the initial backfill: nothing is sent")
            model_state = diff.model_state_sql()
            return functools.partial(diff.new_state_sql, model_state, keep_unconfirmed=True)
        send_all = spec.mode in _SEND_EVERYTHING or options.resync or options.sync_all_records
        unfinished = unfinished_snapshot(spec, store, self.hooks)
        records = (
            snapshots.remaining(diff, store, unfinished, spec.batch_size)
            if unfinished is not None
            else diff.records(
                changed_only=not (send_all or limited),
                distinct=distinct,
                keys=options.only_identities,
                batch_size=spec.batch_size,
                few=few,
            )
        )
        snapshot_at = unfinished.time if unfinished is not None else self.now
        with (
            self.target.open_writer(write_plan(spec, columns, snapshot_at)) as writer,
            closing(records),
            Prefetch(records) as ahead,
        ):
            # Only records a target has made visible may be confirmed before the end:
            # a replace, or a writer that publishes at finish, is all or nothing.
            all_or_nothing = spec.mode is SyncMode.REPLACE or writer.publishes_at_finish
            log = None if limited else self._outcome_log(store, writer, durable=not all_or_nothing)
            self.journaled = log is not None and log.durable and not log.pending
            snapshots.snapshot_started(spec, store, log, snapshot_at, unfinished)
            if all_or_nothing:
                self.recorder.hold()
            for batch in self._batches(ahead):
                self._write(writer, log, batch, columns)
            self._check_cancelled()
            writer.finish()
            self.recorder.publish()
        if log is None:
            return None
        confirmed_sql = logged_sql([str(path) for path in log.files])
        # After a replace the target holds exactly the confirmed records, nothing older.
        return functools.partial(
            diff.new_state_sql,
            confirmed_sql,
            keep_unconfirmed=spec.mode is not SyncMode.REPLACE,
            partial=self.partial,
        )

    def _write(
        self, writer: Writer, log: OutcomeLog | None, batch: pa.RecordBatch, columns: pa.Schema
    ) -> None:
        """Write one batch of mapped records; journal the ones the target confirmed."""
        values = batch.select(columns.names).cast(columns)
        keys = batch.column(KEY)
        number = None
        if log is not None and writer.commit_marking is CommitMarking.BATCH:
            # Durable before the commit, so a crash right after it cannot lose the batch.
            number = log.intend(*(batch.column(name) for name in (KEY_HIGH, KEY_LOW, HASH)))
        if isinstance(writer, KeyedWriter):
            result = writer.write(values, number, keys=_record_keys(batch))
        elif number is None:
            # A writer that marks nothing is called as before: it may not take a number.
            result = writer.write(values)
        else:
            result = writer.write(values, number)
        confirmed = self.recorder.written(values, keys.to_pylist(), result)
        if log is not None:
            mask = pa.array(confirmed, pa.bool_())
            log.append(*(batch.column(name).filter(mask) for name in (KEY_HIGH, KEY_LOW, HASH)))
        self.hooks.progress(self.counts, self.read)

    def _outcome_log(self, store: StateStore, writer: Writer, *, durable: bool) -> OutcomeLog:
        """Where this run logs what `writer` confirmed: `StateStore.outcome_log`, marked
        when the writer marks its commits (a console warning says why it cannot)."""
        if writer.marking_problem is not None:
            self.hooks.log("warning", writer.marking_problem)
        if writer.commit_marking is CommitMarking.NONE:
            return store.outcome_log(durable=durable)
        self.marked = True
        marked = MarkedRun(self.spec.execution_id, writer.commit_marking.value)
        return store.outcome_log(durable=True, marked=marked)

    def _warn_duplicates(self, diff: Diff, columns: pa.Schema) -> None:
        with closing(diff.duplicates(self.spec.batch_size)) as duplicates:
            for batch in duplicates:
                keys = batch.column(KEY).to_pylist()
                messages = [
                    f"identity {key} appears more than once in the model; "
                    "only one of its records is synced"
                    for key in keys
                ]
                self.recorder.refused("warnings", batch.select(columns.names), keys, messages)

    def _batches(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The non-empty batches, checking for cancellation before each."""
        for batch in batches:
            self._check_cancelled()
            if batch.num_rows:
                yield batch

    def _check_cancelled(self) -> None:
        if self.hooks.cancelled():
            raise RunCanceled(f"execution {self.spec.execution_id} was canceled")


def _record_keys(batch: pa.RecordBatch) -> RecordKeys:
    """The identities (a record without one: its hash, as text) and hashes of `batch`."""
    hashes = batch.column(HASH)
    identities = pc.coalesce(batch.column(KEY), pc.cast(hashes, pa.string()))
    return RecordKeys(identities.to_pylist(), hashes.to_pylist())


@dataclass
class _Model:
    """The mapped model of one run: its columns, its batches, and how many records they held."""

    columns: pa.Schema
    batches: Iterator[pa.RecordBatch]
    records: int = 0


def described_source(configuration: Mapping[str, Any]) -> str:
    """What a model reads, for messages: `query: SELECT ...`, `table: public.users`."""
    for key in ("query", "table", "file"):
        value = configuration.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            shown = text if len(text) <= SHOWN_SOURCE else text[: SHOWN_SOURCE - 1] + "…"
            return f"{key}: {shown}"
    return "its source"


SHOWN_SOURCE = 300
"""Characters of a model's query shown in a message."""


SIDE = "side"
"""The metadata key of a connector error naming the side that failed (`_named`)."""


def _named(
    error: ConnectorError,
    side: str,
    connection: str,
    connector: SourceConnector | TargetConnector,
    doing: str = "",
) -> ConnectorError:
    """`error` with its message naming the side and connection that failed:
    `target 'warehouse' (postgresql): ...`, and what it was `doing` for a timeout;
    `error` itself when it names one already.

    The same class, so callers tell a timeout from a refusal as before.
    """
    if error.metadata.get(SIDE):
        return error
    who = f"{side} {connection!r}" if connection else f"the {side}"
    who += f" ({connector.type_id})"
    if isinstance(error, CallTimedOut):
        # Its message reads on from the name: "target 'w' (postgresql) did not answer ...".
        message = f"{who}, {doing}, {error.message}" if doing else f"{who} {error.message}"
    else:
        message = f"{who}: {error.message}"
    named = copy.copy(error)
    named.message = message
    named.args = (message,)
    named.metadata = {**error.metadata, SIDE: side}
    return named


def source_hint(model_filter: RowFilter | None) -> TargetFilter | None:
    """The model filter in the shape sources take as a pushdown hint."""
    if model_filter is None or not model_filter.conditions:
        return None
    return TargetFilter(
        {
            label: TargetCondition(c.field, c.function, c.value)
            for label, c in model_filter.conditions.items()
        },
        model_filter.logic,
    )
