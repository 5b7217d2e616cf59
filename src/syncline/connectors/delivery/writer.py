"""The writer of every network destination: the framework owns the flow, a type fills hooks.

For each batch, `DeliveryWriter.write`:

1. reads the records and what the sync remembers of them (`memory`), and
   turns each into an event by the mode (`records.event_of`); a record a
   `create` finds known is skipped;
2. asks the type for the requests of each event's records, in order
   (`requests`), and gives each its idempotency key (`keys`);
3. sends them (`sender`), and for each final answer asks the type what
   happened to each record (`outcomes`): by default a success confirms
   them all, a 404 to an update or delete is not found, and any other
   answer rejects them with its status and body;
4. remembers what the API confirmed and marks it for crash recovery
   (`memory`), and returns every record's result.

A type sets `remembers_values` when its requests need a record's previous
values (to send only what changed).
"""

from __future__ import annotations

import functools
import json
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from syncline.connectors.delivery.connector import DeliveryConnector
from syncline.connectors.delivery.keys import key_parts, keyed
from syncline.connectors.delivery.memory import RecordMemory
from syncline.connectors.delivery.policy import Backoff, RetrySettings, StatusRules
from syncline.connectors.delivery.records import (
    RESULT_OF,
    Event,
    Known,
    Record,
    event_of,
    json_rows,
)
from syncline.connectors.delivery.sender import Reply, Request, Sender, excerpt, shown_url
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitMarking,
    KeyedWriter,
    RecordKeys,
    RecordResult,
    WritePlan,
)
from syncline.errors import ConnectorError

CAPTURED_BODY = 2_000
"""Characters of a request or response body kept when requests are recorded."""


@dataclass(frozen=True)
class Outcome:
    """What one record's request did: its result, a message, and the id the API gave it."""

    result: RecordResult
    message: str | None = None
    remote_id: str | None = None


class DeliveryWriter(KeyedWriter):
    """Writes batches to an API (see the module docstring)."""

    remembers_values = False
    """Whether the memory keeps each record's last sent values (for `Record.previous`)."""
    mixes_events = False
    """Whether one request may carry records of several events (`requests` is then
    given every record of a batch at once, with `event` None)."""

    def __init__(self, plan: WritePlan, connector: DeliveryConnector) -> None:
        super().__init__(plan)
        self.connector = connector
        self.context = connector.context()
        self.memory = RecordMemory(self.context.directory)
        options = connector.options
        self.sender = Sender(
            transport=connector.transport,
            budget=connector.budget(),
            rules=self.status_rules(),
            backoff=Backoff(
                RetrySettings(
                    max_attempts=options.max_attempts, max_seconds=options.max_retry_seconds
                )
            ),
            max_attempts=options.max_attempts,
            max_seconds=options.max_retry_seconds,
            cancelled=connector.call_limits.cancelled,
            prepare=self.prepare,
            describe=connector.scrub,
        )
        self.record_requests = bool(plan.configuration.get("record_requests"))
        self._refused: dict[int, str] = {}
        if plan.mark is not None:
            self.commit_marking = CommitMarking.BATCH

    # ------------------------------------------------------------- hooks

    @abstractmethod
    def requests(self, event: Event | None, records: list[Record]) -> Iterable[Request]:
        """The requests carrying `records` (all of `event`, or of any event when the type
        `mixes_events`, in batch order), without keys.

        Raises `ConnectorError` when they cannot be built (a template fails
        for every record); a record that alone cannot be sent is set aside
        with `refuse` instead.
        """

    def values(self, batch: pa.RecordBatch, keys: RecordKeys) -> list[dict[str, Any]]:
        """The records' values (`Record.values`) as the type's requests need them:
        `json_rows`. A type that builds its bodies from the batch otherwise may give
        empty ones, when nothing else needs them (`remembers_values` is False)."""
        return json_rows(batch)

    def status_rules(self) -> StatusRules:
        """Which statuses mean success and which are retried."""
        return StatusRules()

    def prepare(self, request: Request) -> dict[str, str]:
        """Headers made afresh for every attempt of `request` (a signature)."""
        return {}

    def outcomes(self, request: Request, reply: Reply) -> list[Outcome]:
        """What `reply` did to each record of `request`, in order.

        By default a success confirms them all; a 404 to an update or a
        delete finds them missing; anything else rejects them all.
        """
        if self.sender.rules.is_success(reply.status):
            return [_CONFIRMED[record.event] for record in request.records]
        message = self.failure(request, reply)
        missing = reply.status == 404
        return [
            Outcome(
                RecordResult.NOT_FOUND
                if missing and record.event is not Event.INSERT
                else RecordResult.REJECTED,
                message,
            )
            for record in request.records
        ]

    # ------------------------------------------------------------- helpers

    def failure(self, request: Request, reply: Reply) -> str:
        """A record error's message: the status, the request and the answer's start."""
        shown = excerpt(self.connector.scrub(reply.body.decode("utf-8", "replace")))
        message = f"HTTP {reply.status} from {request.method} {shown_url(request.url)}"
        return self.connector.scrub(f"{message}: {shown}" if shown else message)

    def refuse(self, record: Record, message: str) -> None:
        """Set `record` aside as rejected, unsent (its values cannot make a request)."""
        self._refused[record.index] = message

    # ------------------------------------------------------------- the flow

    def write(
        self, batch: pa.RecordBatch, number: int | None = None, *, keys: RecordKeys | None = None
    ) -> BatchResult:
        if keys is None:
            raise ConnectorError(f"a {self.connector.type_id} writer needs the records' identities")
        rows = self.values(batch, keys)
        identities = list(keys.identities)
        known = self.memory.known(identities) if self._needs_memory() else {}
        results = [RecordResult.SKIPPED] * len(rows)
        messages: dict[int, str] = {}
        self._refused = {}
        grouped: dict[Event | None, list[Record]] = {}
        hashes, mixed = keys.hashes, self.mixes_events
        # The mode gives one event to every known record and one to every other.
        on_known = event_of(self.plan.mode, Known(0))
        on_unknown = event_of(self.plan.mode, None)
        if not known and on_unknown is not None:
            # None of them known (a first run): one event for all, no lookups.
            grouped[None if mixed else on_unknown] = [
                Record(index, identity, content, values, on_unknown)
                for index, (identity, content, values) in enumerate(
                    zip(identities, hashes, rows, strict=True)
                )
            ]
        else:
            for index, values in enumerate(rows):
                identity = identities[index]
                remembered = known.get(identity)
                event = on_unknown if remembered is None else on_known
                if event is None:
                    continue
                record = Record(index, identity, hashes[index], values, event)
                if remembered is not None:
                    record.previous, record.remote_id = remembered.values, remembered.remote_id
                grouped.setdefault(None if mixed else event, []).append(record)

        parts = key_parts(identities, hashes)
        sync_id, header = self.context.sync_id, self.connector.options.idempotency_header

        def with_keys() -> Iterator[Request]:
            for event, records in grouped.items():
                name = event.value if event is not None else "records"
                for request in self.requests(event, records):
                    request.key = keyed(sync_id, name, [parts[r.index] for r in request.records])
                    request.headers[header] = request.key
                    yield request

        def done(request: Request, reply: Reply) -> None:
            outcomes = self.outcomes(request, reply)
            if len(outcomes) != len(request.records):
                raise ConnectorError(
                    f"{len(outcomes)} outcomes for a request of {len(request.records)} records"
                )
            captured = self._capture(request, reply)
            records = request.records
            if captured is None and self._confirmed_alike(outcomes):
                # The usual answer: every record confirmed alike, nothing to say; in bulk.
                result = outcomes[0].result
                for record in records:
                    results[record.index] = result
                self.memory.remember_all([(r.identity, r.hash) for r in records])
                first = records[0].index
                if records[-1].index - first == len(records) - 1:  # consecutive: one run
                    runs = [(first, len(records), result)]
                else:
                    runs = _runs([(record.index, result) for record in records])
            else:
                self._each(records, outcomes, captured, results, messages)
                pairs = zip(records, outcomes, strict=True)
                runs = _runs([(record.index, outcome.result) for record, outcome in pairs])
            if number is not None and self.plan.mark is not None:
                self.memory.mark(self.plan.mark.execution_id, number, runs)

        try:
            self.sender.send(with_keys(), done, self._settle)
        finally:
            self.memory.flush()
        # Records the type set aside while it built the requests (`refuse`).
        for index, message in self._refused.items():
            results[index] = RecordResult.REJECTED
            messages[index] = message
        return BatchResult(results, messages)

    def _confirmed_alike(self, outcomes: list[Outcome]) -> bool:
        """Whether every outcome is one insert or update with no message, no remote id
        and no values to remember (what `remember_all` keeps)."""
        if not outcomes or self.remembers_values:
            return False
        first = outcomes[0]
        if first.message is not None or first.remote_id is not None:
            return False
        if first.result is not RecordResult.INSERTED and first.result is not RecordResult.UPDATED:
            return False
        return all(outcome is first or outcome == first for outcome in outcomes)

    def _each(
        self,
        records: list[Record],
        outcomes: list[Outcome],
        captured: str | None,
        results: list[RecordResult],
        messages: dict[int, str],
    ) -> None:
        """Each record's result and message, and what the API now holds of it."""
        remember, forget = self.memory.remember, self.memory.forget_record
        for record, outcome in zip(records, outcomes, strict=True):
            result = outcome.result
            results[record.index] = result
            message = outcome.message or captured
            if message:
                messages[record.index] = message
            # What the API now holds (inlined: this runs for every record).
            if result is RecordResult.INSERTED or result is RecordResult.UPDATED:
                remember(record.identity, record.hash, outcome.remote_id, self._sent(record))
            elif result is RecordResult.DELETED or (
                result is RecordResult.NOT_FOUND and record.event is Event.DELETE
            ):
                forget(record.identity)

    def finish(self) -> None:
        self.memory.flush()

    def close(self) -> None:
        try:
            self.sender.close()
        finally:
            self.memory.close()

    # ------------------------------------------------------------- internals

    def _needs_memory(self) -> bool:
        return self.plan.mode is not SyncMode.APPEND or self.remembers_values

    def _settle(self) -> Callable[[], None] | None:
        """What the answers so far staged in the memory, as a job committing it."""
        staged = self.memory.take()
        return None if staged is None else functools.partial(self.memory.commit, staged)

    def _sent(self, record: Record) -> str | None:
        """The values to remember as sent (JSON), when the type remembers values."""
        return json.dumps(record.values, sort_keys=True) if self.remembers_values else None

    def _capture(self, request: Request, reply: Reply) -> str | None:
        """The request and its answer as a record log message (`record_requests`) or
        a console line (a test run); secrets scrubbed. None when neither asks."""
        if not (self.record_requests or self.context.test):
            return None
        scrub = self.connector.scrub
        sent = excerpt(
            scrub((request.preview or request.body).decode("utf-8", "replace")), CAPTURED_BODY
        )
        answered = excerpt(scrub(reply.body.decode("utf-8", "replace")), CAPTURED_BODY)
        attempts = f"{reply.attempts} attempt{'s' if reply.attempts != 1 else ''}"
        text = (
            f"{request.method} {shown_url(request.url)} -> {reply.status} "
            f"in {reply.seconds * 1000:.0f} ms ({attempts}); "
            f"request: {sent}; response: {answered}"
        )
        text = self.connector.scrub(text)
        if self.context.test:
            self.context.log("info", text)
        return text if self.record_requests else None


_CONFIRMED = {event: Outcome(result) for event, result in RESULT_OF.items()}
"""The outcome of a record whose request succeeded, by its event (one object each)."""


def _runs(results: list[tuple[int, RecordResult]]) -> list[tuple[int, int, RecordResult]]:
    """Records' results as runs `(first index, count, result)` of consecutive records
    with the same result (a request's records are mostly one run: one marker row)."""
    runs: list[tuple[int, int, RecordResult]] = []
    for index, result in results:
        if runs and runs[-1][0] + runs[-1][1] == index and runs[-1][2] is result:
            first, count, _ = runs[-1]
            runs[-1] = (first, count + 1, result)
        else:
            runs.append((index, 1, result))
    return runs
