"""The `http` writer: records become requests by the sync's templates; answers become outcomes.

Requests (`HttpWriter.requests`): each event's records in batch order; with
`batch` none a request per record, else runs of consecutive records joined
as a JSON array or NDJSON up to `batch_size` records and `batch_bytes`
bytes. A record whose path or body does not render, does not render to
JSON, or alone exceeds `batch_bytes` is set aside with the reason
(`refuse`), and the others go.

Outcomes (`HttpWriter.outcomes`): a success read with `results_path` gives
each record its own verdict (`results.verdict`); a success whose results
cannot be read (not JSON, not as many results as records) counts for every
record, with a message saying so: the API took the request. A remote id
read with `remote_id_path` is remembered with the record and offered to
its later templates. Any other answer is the framework's (`DeliveryWriter`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from syncline.connectors.delivery.policy import StatusRules
from syncline.connectors.delivery.records import RESULT_OF, Event, Record, json_texts
from syncline.connectors.delivery.sender import Reply, Request, shown_url
from syncline.connectors.delivery.writer import DeliveryWriter, Outcome
from syncline.connectors.http.connection import HttpConnection
from syncline.connectors.http.results import per_record, read_remote_id, verdict
from syncline.connectors.http.target_config import (
    CONTENT_TYPES,
    Compiled,
    EventRequest,
    EventTemplates,
    parse_configuration,
)
from syncline.connectors.http.templates import (
    Template,
    TemplateProblem,
    join_url,
    render_body,
    render_path,
)
from syncline.connectors.writing import RecordKeys, RecordResult, WritePlan
from syncline.errors import ConnectorError, ValidationFailed


class HttpWriter(DeliveryWriter):
    """Writes records to an API by an `http` sync's templates (see the module docstring)."""

    def __init__(self, plan: WritePlan, connector: HttpConnection) -> None:
        try:
            self.compiled: Compiled = parse_configuration(plan.configuration)
        except ValidationFailed as error:
            raise ConnectorError(f"the sync's target configuration: {error.message}") from None
        self.remembers_values = self.compiled.remembers_values
        self.base_url = connector.http_config.base_url
        self._warned = False
        self._texts: list[str] | None = None
        super().__init__(plan, connector)

    # ------------------------------------------------------------- hooks

    def values(self, batch: pa.RecordBatch, keys: RecordKeys) -> list[dict[str, Any]]:
        """Empty values when no template reads them but as the whole record in JSON:
        the bodies are then each record's `json_texts`; else the framework's."""
        self._texts = None if self.compiled.reads_values else json_texts(batch)
        if self._texts is None:
            return super().values(batch, keys)
        return [{}] * batch.num_rows

    def status_rules(self) -> StatusRules:
        config = self.compiled.config
        return StatusRules(frozenset(config.success_statuses), frozenset(config.retryable_statuses))

    def requests(self, event: Event | None, records: list[Record]) -> list[Request]:
        # This type never mixes events (`mixes_events` is False): each call is one event's.
        assert event is not None
        request = self.compiled.config.request(event)
        templates = self.compiled.templates[event]
        if request.batch == "none":
            return list(self._one_each(event, request, templates, records))
        return list(self._batched(event, request, templates, records))

    def outcomes(self, request: Request, reply: Reply) -> list[Outcome]:
        compiled = self.compiled
        if not self.sender.rules.is_success(reply.status) or not (
            compiled.results or compiled.remote_id
        ):
            return super().outcomes(request, reply)
        done = RESULT_OF[_event(request)]
        try:
            answer = json.loads(reply.body)
        except ValueError:
            return self._unread(request, "the response is not JSON")
        if compiled.results is None:
            assert compiled.remote_id is not None
            remote_id = read_remote_id(compiled.remote_id, answer)
            return [Outcome(done, remote_id=remote_id)] * len(request.records)
        results = per_record(compiled.results, answer)
        if results is None or len(results) != len(request.records):
            found = "none" if results is None else str(len(results))
            return self._unread(
                request,
                f"{compiled.results.text} holds {found} results for {len(request.records)} records",
            )
        outcomes = []
        for result in results:
            said = verdict(
                result,
                ok_path=compiled.result_ok,
                error_path=compiled.result_error,
                remote_id_path=compiled.remote_id,
            )
            if said.ok:
                outcomes.append(Outcome(done, remote_id=said.remote_id))
                continue
            missing = said.not_found and _event(request) is not Event.INSERT
            outcomes.append(
                Outcome(
                    RecordResult.NOT_FOUND if missing else RecordResult.REJECTED,
                    self.connector.scrub(
                        f"{request.method} {shown_url(request.url)} -> {reply.status}, "
                        f"and its result for this record: {said.message}"
                    ),
                )
            )
        return outcomes

    # ------------------------------------------------------------- requests

    def _one_each(
        self, event: Event, request: EventRequest, templates: EventTemplates, records: list[Record]
    ) -> Iterator[Request]:
        for record in records:
            context = self._context(record)
            try:
                path = render_path(templates.path, context)
            except TemplateProblem as problem:
                self.refuse(record, _refusal(event, "path", problem))
                continue
            body = b""
            headers: dict[str, str] = {}
            if templates.body is not None:
                try:
                    body = self._body(templates.body, record, context).encode()
                except TemplateProblem as problem:
                    self.refuse(record, _refusal(event, "body", problem))
                    continue
                headers["Content-Type"] = _content_type(request)
            yield Request(
                method=request.method,
                url=join_url(self.base_url, path),
                body=body,
                records=[record],
                event=event,
                headers=headers,
            )

    def _batched(
        self, event: Event, request: EventRequest, templates: EventTemplates, records: list[Record]
    ) -> Iterator[Request]:
        assert templates.body is not None
        try:
            path = render_path(templates.path, {"sync": self._sync()})
        except TemplateProblem as problem:
            raise ConnectorError(_refusal(event, "path", problem)) from None
        url = join_url(self.base_url, path)
        ndjson = request.batch == "ndjson"
        # A JSON array costs its brackets and a comma per record; NDJSON a newline per record.
        frame = 0 if ndjson else 2
        per, most = request.batch_size, request.batch_bytes

        def joined(bodies: list[bytes], chunk: list[Record]) -> Request:
            body = b"\n".join(bodies) + b"\n" if ndjson else b"[" + b",".join(bodies) + b"]"
            return Request(
                method=request.method,
                url=url,
                body=body,
                records=chunk,
                event=event,
                headers={"Content-Type": _content_type(request)},
            )

        pairs: Iterable[tuple[Record, bytes]]
        if self._texts is not None:
            texts = self._texts
            encoded = [texts[record.index].encode() for record in records]
            if frame + per * (max(map(len, encoded), default=0) + 1) <= most:
                # Every run of `batch_size` records fits `batch_bytes`: no sizes to add up.
                for start in range(0, len(records), per):
                    yield joined(encoded[start : start + per], records[start : start + per])
                return
            pairs = zip(records, encoded, strict=True)
        else:
            pairs = self._rendered(event, templates.body, records, ndjson=ndjson)
        bodies: list[bytes] = []
        chunk: list[Record] = []
        size = frame
        for record, body in pairs:
            if frame + len(body) + 1 > most:
                self.refuse(
                    record,
                    f"configuration.{event.value}.body rendered {len(body)} bytes for this "
                    f"record, more than batch_bytes ({most}) allows a request",
                )
                continue
            if chunk and (len(chunk) >= per or size + len(body) + 1 > most):
                yield joined(bodies, chunk)
                bodies, chunk, size = [], [], frame
            bodies.append(body)
            chunk.append(record)
            size += len(body) + 1
        if chunk:
            yield joined(bodies, chunk)

    def _rendered(
        self, event: Event, template: Template, records: list[Record], *, ndjson: bool
    ) -> Iterator[tuple[Record, bytes]]:
        """Each record with its rendered body (on one line for NDJSON); a record whose
        body does not render is set aside (`refuse`)."""
        for record in records:
            try:
                text = render_body(template, self._context(record))
            except TemplateProblem as problem:
                self.refuse(record, _refusal(event, "body", problem))
                continue
            if ndjson and ("\n" in text or "\r" in text):
                text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
            yield record, text.encode()

    def _body(self, template: Template, record: Record, context: dict[str, Any]) -> str:
        """A record's body: its JSON text when the batch has them (`values`), else the
        template rendered in `context`. Raises `TemplateProblem`."""
        if self._texts is not None:
            return self._texts[record.index]
        return render_body(template, context)

    def _context(self, record: Record) -> dict[str, Any]:
        return {
            "record": record.values,
            "changed_fields": record.changed_fields,
            "previous": record.previous,
            "remote_id": record.remote_id,
            "identity": self._identity(record),
            "sync": self._sync(),
        }

    def _identity(self, record: Record) -> Any:
        names = self.plan.identity
        if not names:
            return None
        if len(names) == 1:
            return record.values.get(names[0])
        return {name: record.values.get(name) for name in names}

    def _sync(self) -> dict[str, str]:
        return {"id": self.context.sync_id, "name": self.context.sync_name}

    def _unread(self, request: Request, why: str) -> list[Outcome]:
        message = (
            f"{request.method} {shown_url(request.url)} -> accepted, but the per-record "
            f"results could not be read ({why}); every record of the request counts as written"
        )
        if not self._warned:
            self._warned = True
            self.context.log("warning", self.connector.scrub(message))
        done = RESULT_OF[_event(request)]
        return [Outcome(done, self.connector.scrub(message))] * len(request.records)


def _event(request: Request) -> Event:
    """The event of a request this writer made (always one: it never mixes events)."""
    assert request.event is not None
    return request.event


def _content_type(request: EventRequest) -> str:
    return request.content_type or CONTENT_TYPES[request.batch]


def _refusal(event: Event, part: str, problem: TemplateProblem) -> str:
    return f"configuration.{event.value}.{part} did not render for this record: {problem.message}"
