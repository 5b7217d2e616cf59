"""A real HTTP receiver for tests of the HTTP destinations, with scripted faults.

A `Receiver` is an aiohttp server on 127.0.0.1 (an ephemeral port) that runs
its own event loop on a background thread. It accepts any method and path,
keeps every request, and answers like a real API would:

    with Receiver() as receiver:
        receiver.fail(status=429, headers={"Retry-After": "1"})
        receiver.reset(processed=True)
        ...  # point a connection at receiver.url and run a sync
        wait_for(lambda: len(receiver.records()) == 100)
        assert receiver.verify(secret) == []

What it keeps (`ReceivedRequest`): method, path, query, headers, the raw body
as it came over the wire, the body decoded (gzip when `Content-Encoding:
gzip`) and parsed (JSON, or NDJSON lines, when the content type says so),
arrival time (wall clock and monotonic), the idempotency key header (name
configurable) and what became of the request.

Deduplication, like an API that honours idempotency keys: a request whose key
was already processed with a 2xx answer is not processed again; the stored
answer is replayed. `received()` lists every request, `accepted()` only those
that took effect (so once per key), and `records()` the records in those
(less any that a 2xx answer rejected one by one, `Reply.rejected`). The
answer is `respond(status, json_body)` (`{"ok": true}` by default; see
`echo_ids` for remote ids), or whatever the `on_request` hook returns.

Faults are queued and each applies to the next `times` requests that match
it (a method, a path, a predicate), in the order they were queued:

- `fail(status)`: answer that status; by default the request does not take
  effect (a gateway or rate limiter answered); `processed=True` makes it
  take effect first (an API that did the work and then answered 500);
- `delay(seconds)`: the request takes effect at once, the answer comes late
  (a slow API, so a client that timed out and retries gets the replay);
- `reset(processed=...)`: the TCP connection is aborted (RST) without an
  answer, before or after the request took effect; the second is exactly
  the case idempotency keys protect against;
- `malformed()`: 200 with a body that is not JSON (the request took effect,
  unless `processed=False`).

Faults change only what goes over the wire: the answer stored for a key is
always the application's own (the default reply or the `on_request` hook),
so a retry after a reset or a malformed answer gets the real one.

`per_second()` counts arrivals per whole wall-clock second,
`most_in_window()` the most in any sliding window, and `peak_in_flight` is
the most requests that were being handled at once. `hold()` keeps every
answer back until `release()` (so a client's concurrency shows,
deterministically), and `latency` slows every answer; neither holds back
a fault's answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import itertools
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

PATIENCE = 30.0
"""Seconds `wait_for` gives up after by default: a bound against a hang, never a speed goal."""

JSON_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$", re.IGNORECASE)
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
MALFORMED_BODY = b'{"ok": true, "results": [{"ok": tr'
"""What `malformed()` answers: cut off in the middle, as from a proxy that gave up."""

SIGNATURE_TOLERANCE = 300.0
"""Seconds a Standard Webhooks timestamp may be off from the arrival time."""

Outcome = Literal["accepted", "replayed", "rejected", "failed", "reset", "pending"]


@dataclass
class Reply:
    """An answer: status, headers and a JSON body (or raw bytes in `body`)."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    rejected: frozenset[int] = frozenset()
    """Indexes (from 0) of the records of a 2xx batch that did not take effect (per-record
    errors inside a 200): `Receiver.records()` leaves them out."""

    def encoded(self) -> tuple[bytes, str | None]:
        """The body bytes and their content type."""
        if self.body is not None:
            return self.body, None
        if self.json is None:
            return b"", None
        return json.dumps(self.json).encode(), "application/json"

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class ReceivedRequest:
    """One request as the receiver saw it, and what became of it."""

    seq: int
    method: str
    path: str
    query: MultiDictProxy[str]
    headers: CIMultiDictProxy[str]
    raw: bytes
    """The body exactly as it came over the wire (gzipped when it was)."""
    body: bytes
    """The body decoded (gunzipped); `raw` when it was not encoded or could not be decoded."""
    data: Any
    """The parsed body: a JSON value, a list of NDJSON lines' values, or None."""
    parse_error: str | None
    arrived: float
    """time.time() at arrival."""
    arrived_monotonic: float
    key: str | None
    """The idempotency key header's value, if any."""
    outcome: Outcome = "pending"
    """accepted (took effect), replayed (a key already answered), rejected (the application
    answered non-2xx), failed (a fault answered before processing), reset (aborted before
    processing), pending (still being handled)."""
    status: int | None = None
    """The status sent over the wire; None when the connection was reset."""
    fault: str | None = None
    """The name of the fault applied to this request, if any."""
    rejected: frozenset[int] = frozenset()
    """Indexes of records that a 2xx answer rejected one by one (`Reply.rejected`)."""

    @property
    def took_effect(self) -> bool:
        return self.outcome == "accepted"

    @property
    def records(self) -> list[Any]:
        """The records this request carried (see `records_of`)."""
        return records_of(self.data)

    @property
    def delivered(self) -> list[Any]:
        """The records it carried that took effect: none unless accepted, less `rejected`."""
        if not self.took_effect:
            return []
        return [r for i, r in enumerate(self.records) if i not in self.rejected]


def records_of(data: Any) -> list[Any]:
    """The records in a parsed body.

    The webhook shape gives `body["object"]["records"]`; a JSON array (or
    NDJSON, parsed as a list of lines) gives its items; any other JSON object
    is one record; anything else (no body, not JSON) none.
    """
    if isinstance(data, dict):
        obj = data.get("object")
        if isinstance(obj, dict) and isinstance(obj.get("records"), list):
            return list(obj["records"])
        return [data]
    if isinstance(data, list):
        return list(data)
    return []


def echo_ids(prefix: str = "r", field_name: str | None = None) -> Callable[[ReceivedRequest], Any]:
    """A default JSON body that gives each record a remote id, for testing remote ids.

    One record (a single JSON object) gets `{"id": ...}`; a batch gets
    `{"results": [{"ok": true, "id": ...}, ...]}` in record order. The id is
    `prefix` + the record's `field_name` value (looked up in the record or in its
    `fields`) when given, else `prefix` + a counter.
    """
    counter = itertools.count(1)

    def one(record: Any) -> str:
        if field_name is not None and isinstance(record, dict):
            source = record.get("fields", record)
            if isinstance(source, dict) and field_name in source:
                return f"{prefix}{source[field_name]}"
        return f"{prefix}{next(counter)}"

    def build(request: ReceivedRequest) -> Any:
        if isinstance(request.data, dict) and request.records == [request.data]:
            return {"id": one(request.data)}
        return {"results": [{"ok": True, "id": one(record)} for record in request.records]}

    return build


@dataclass
class _Fault:
    kind: Literal["fail", "delay", "reset", "malformed"]
    times: int
    processed: bool
    method: str | None
    path: str | re.Pattern[str] | None
    when: Callable[[ReceivedRequest], bool] | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    seconds: float = 0.0

    def matches(self, request: ReceivedRequest) -> bool:
        if self.method is not None and request.method.upper() != self.method.upper():
            return False
        if isinstance(self.path, str) and request.path != self.path:
            return False
        if isinstance(self.path, re.Pattern) and not self.path.fullmatch(request.path):
            return False
        return self.when is None or self.when(request)


class Receiver:
    """An HTTP server for tests: keeps, deduplicates and answers requests (see module)."""

    def __init__(
        self,
        *,
        key_header: str = "Idempotency-Key",
        status: int = 200,
        json_body: Any = None,
        latency: float = 0.0,
    ) -> None:
        self.key_header = key_header
        self.latency = latency
        """Seconds every answer waits after processing (so a client's concurrency shows)."""
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._answers: dict[str, Reply] = {}
        self._faults: list[_Fault] = []
        self._hook: Callable[[ReceivedRequest], Reply | None] | None = None
        self._default_status = status
        self._default_json: Any = {"ok": True} if json_body is None else json_body
        self._in_flight = 0
        self._peak = 0
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._open: asyncio.Event | None = None
        """Set unless answers are held (`hold`)."""
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ----------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:41234 (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def start(self) -> Receiver:
        """Listen and serve on a background thread; returns once it accepts connections."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._setup())
            except BaseException as exc:  # noqa: BLE001 - raised again by start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"receiver-{id(self):x}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving: slow answers still pending are cut short; idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        thread.join(timeout=PATIENCE)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _setup(self) -> None:
        self._stopping = asyncio.Event()
        self._open = asyncio.Event()
        self._open.set()
        # The raw body must stay as it came, so the server does not gunzip it itself.
        server = web.Server(self._handle, auto_decompress=False, access_log=None)
        self._runner = web.ServerRunner(server, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1])

    async def _cleanup(self) -> None:
        assert self._stopping is not None
        assert self._runner is not None
        self._stopping.set()
        await self._runner.cleanup()

    # ----------------------------------------------------------- answers

    def respond(self, status: int = 200, json_body: Any = None) -> None:
        """Set the default answer: a status and a JSON body, or a callable building it.

        `json_body` may be a value or `f(request) -> value` (see `echo_ids`);
        None keeps `{"ok": true}`.
        """
        with self._lock:
            self._default_status = status
            self._default_json = {"ok": True} if json_body is None else json_body

    def on_request(self, hook: Callable[[ReceivedRequest], Reply | None] | None) -> None:
        """Answer with `hook(request)` (None from it: the default answer); None removes it.

        The hook runs on the receiver's thread once per request that is
        processed (never for a replay); a non-2xx Reply means the request did
        not take effect, and its key is not kept.
        """
        with self._lock:
            self._hook = hook

    def _application_reply(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            hook, status, body = self._hook, self._default_status, self._default_json
        reply = hook(request) if hook is not None else None
        if reply is not None:
            return reply
        return Reply(status=status, json=body(request) if callable(body) else body)

    # ----------------------------------------------------------- faults

    def fail(
        self,
        status: int = 500,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        times: int = 1,
        processed: bool = False,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        when: Callable[[ReceivedRequest], bool] | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (and headers, JSON body).

        With `processed=True` the request takes effect first, then gets `status`.
        """
        self._queue(
            _Fault(
                "fail",
                times,
                processed,
                method,
                path,
                when,
                status=status,
                headers=dict(headers or {}),
                json={"ok": False, "status": status} if json_body is None else json_body,
            )
        )

    def delay(
        self,
        seconds: float,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        when: Callable[[ReceivedRequest], bool] | None = None,
    ) -> None:
        """Process the next `times` matching requests at once, and answer `seconds` later."""
        self._queue(_Fault("delay", times, True, method, path, when, seconds=seconds))

    def reset(
        self,
        *,
        processed: bool = False,
        times: int = 1,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        when: Callable[[ReceivedRequest], bool] | None = None,
    ) -> None:
        """Abort the connection (RST, no answer) of the next `times` matching requests.

        `processed=True`: the request took effect first (the client cannot tell).
        """
        self._queue(_Fault("reset", times, processed, method, path, when))

    def malformed(
        self,
        *,
        times: int = 1,
        processed: bool = True,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        when: Callable[[ReceivedRequest], bool] | None = None,
    ) -> None:
        """Answer the next `times` matching requests 200 with a body that is not JSON."""
        self._queue(_Fault("malformed", times, processed, method, path, when))

    def hold(self) -> None:
        """Hold every answer (after processing) until `release()`: requests pile up in flight."""
        self._on_loop(lambda gate: gate.clear())

    def release(self) -> None:
        """Let held answers (and later ones) go."""
        self._on_loop(lambda gate: gate.set())

    def _on_loop(self, change: Callable[[asyncio.Event], None]) -> None:
        async def apply() -> None:
            assert self._open is not None
            change(self._open)

        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(timeout=PATIENCE)

    def pending_faults(self) -> int:
        """How many fault applications are still queued."""
        with self._lock:
            return sum(fault.times for fault in self._faults)

    def _queue(self, fault: _Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, request: ReceivedRequest) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times == 0:
                        del self._faults[index]
                    return fault
        return None

    # ----------------------------------------------------------- what arrived

    def received(self) -> list[ReceivedRequest]:
        """Every request, in arrival order (replays, faults and resets included)."""
        with self._lock:
            return list(self._requests)

    def accepted(self) -> list[ReceivedRequest]:
        """The requests that took effect: once per idempotency key, never a replay."""
        return [request for request in self.received() if request.took_effect]

    def records(self, *, everything: bool = False) -> list[Any]:
        """The records that took effect, once per key and without per-record rejections.

        With `everything`, every record of every request, replays and faults included.
        """
        if everything:
            return [record for request in self.received() for record in request.records]
        return [record for request in self.accepted() for record in request.delivered]

    def per_second(self) -> dict[int, int]:
        """Arrivals (every request) per whole wall-clock second: {int(time.time()): count}."""
        return dict(Counter(int(request.arrived) for request in self.received()))

    def most_in_window(self, seconds: float = 1.0) -> int:
        """The most arrivals within any `seconds` long window (sliding, monotonic clock).

        Stricter than `per_second()`: a burst across a second's boundary counts whole.
        """
        moments = sorted(request.arrived_monotonic for request in self.received())
        most, start = 0, 0
        for end, moment in enumerate(moments):
            while moment - moments[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most requests handled at once since the start."""
        with self._lock:
            return self._peak

    def wait_for(self, predicate: Callable[[], Any], timeout: float = PATIENCE) -> Any:
        """`wait_for(predicate, timeout)`, for symmetry with the module function."""
        return wait_for(predicate, timeout)

    # ----------------------------------------------------------- signatures

    def signature_problems(
        self, secret: str, *, signed: Literal["either", "wire", "decoded"] = "either"
    ) -> list[tuple[ReceivedRequest, str]]:
        """Requests whose Standard Webhooks signature does not verify, each with why.

        Checked with the `standardwebhooks` package: the key is the decoded
        base64 of a `whsec_` secret, else the secret's bytes. The timestamp must
        be within 5 minutes of the arrival. `signed` says which body the
        signature is over: the bytes on the wire, the decoded (gunzipped) body,
        or either.
        """
        from standardwebhooks.webhooks import Webhook

        webhook = Webhook(secret if secret.startswith("whsec_") else secret.encode())
        problems = []
        for request in self.received():
            problem = _signature_problem(webhook, request, signed)
            if problem is not None:
                problems.append((request, problem))
        return problems

    def verify(
        self, secret: str, *, signed: Literal["either", "wire", "decoded"] = "either"
    ) -> list[ReceivedRequest]:
        """The requests whose signature fails (see `signature_problems`); [] when all verify."""
        return [request for request, _ in self.signature_problems(secret, signed=signed)]

    # ----------------------------------------------------------- handling

    async def _handle(self, http: web.BaseRequest) -> web.StreamResponse:
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            return await self._answer(http)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _answer(self, http: web.BaseRequest) -> web.StreamResponse:
        arrived, arrived_monotonic = time.time(), time.monotonic()
        raw = await http.content.read()
        body, data, error = _decode(raw, http.headers)
        with self._lock:
            request = ReceivedRequest(
                seq=len(self._requests) + 1,
                method=http.method,
                path=http.path,
                query=MultiDictProxy(MultiDict(http.query)),
                headers=CIMultiDictProxy(CIMultiDict(http.headers)),
                raw=raw,
                body=body,
                data=data,
                parse_error=error,
                arrived=arrived,
                arrived_monotonic=arrived_monotonic,
                key=http.headers.get(self.key_header),
            )
            self._requests.append(request)
        fault = self._take_fault(request)
        request.fault = fault.kind if fault else None
        if fault is not None and not fault.processed:
            # Answered (or cut) before the application saw it: nothing took effect.
            request.outcome = "reset" if fault.kind == "reset" else "failed"
            return self._faulty(http, request, fault)
        reply = self._process(request)
        if fault is not None and fault.kind != "delay":
            return self._faulty(http, request, fault)
        if fault is not None:
            await self._pause(fault.seconds)
        await self._held()
        if self.latency > 0:
            await self._pause(self.latency)
        request.status = reply.status
        return _response(reply)

    def _process(self, request: ReceivedRequest) -> Reply:
        """The application: replay a known key's answer, or take effect and answer.

        Runs on the loop thread without awaiting (the hook is synchronous), so two
        requests with one key are decided one after the other: never both applied.
        """
        with self._lock:
            stored = self._answers.get(request.key) if request.key is not None else None
        if stored is not None:
            request.outcome = "replayed"
            return stored
        reply = self._application_reply(request)
        with self._lock:
            if reply.success and request.key is not None:
                self._answers[request.key] = reply
            request.rejected = frozenset(reply.rejected) if reply.success else frozenset()
            request.outcome = "accepted" if reply.success else "rejected"
        return reply

    def _faulty(
        self, http: web.BaseRequest, request: ReceivedRequest, fault: _Fault
    ) -> web.StreamResponse:
        """What goes over the wire instead of the answer under a `fail`, `reset` or `malformed`."""
        if fault.kind == "reset":
            return _abort(http)
        if fault.kind == "malformed":
            request.status = 200
            return _response(
                Reply(200, body=MALFORMED_BODY, headers={"Content-Type": "application/json"})
            )
        request.status = fault.status
        return _response(Reply(fault.status, json=fault.json, headers=fault.headers))

    async def _held(self) -> None:
        """Wait while answers are held, or until the receiver stops."""
        assert self._open is not None
        assert self._stopping is not None
        if self._open.is_set():
            return
        opened = asyncio.ensure_future(self._open.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({opened, stopping}, return_when=asyncio.FIRST_COMPLETED)
        opened.cancel()
        stopping.cancel()

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when the receiver stops."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _response(reply: Reply) -> web.Response:
    body, content_type = reply.encoded()
    headers = dict(reply.headers)
    if content_type and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = content_type
    return web.Response(status=reply.status, body=body, headers=headers)


def _abort(http: web.BaseRequest) -> web.StreamResponse:
    """Reset the connection (RST, not FIN) and answer nothing."""
    transport = http.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST at once, as a crashed server or a middlebox would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # Nothing can be written any more; aiohttp drops this response on the closed transport.
    return web.Response(status=599)


def _decode(raw: bytes, headers: CIMultiDictProxy[str]) -> tuple[bytes, Any, str | None]:
    """(decoded body, parsed data or None, why it could not be decoded or parsed)."""
    body = raw
    encoding = headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        try:
            body = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            return raw, None, f"gzip: {exc}"
    elif encoding not in ("", "identity"):
        return raw, None, f"unsupported Content-Encoding {encoding!r}"
    media = headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        if JSON_TYPES.match(media):
            return body, json.loads(body) if body else None, None
        if media in NDJSON_TYPES:
            return body, [json.loads(line) for line in body.splitlines() if line.strip()], None
    except (ValueError, UnicodeDecodeError) as exc:
        return body, None, f"{media}: {exc}"
    return body, None, None


def _signature_problem(
    webhook: Any, request: ReceivedRequest, signed: Literal["either", "wire", "decoded"]
) -> str | None:
    msg_id = request.headers.get("webhook-id")
    stamp = request.headers.get("webhook-timestamp")
    signatures = request.headers.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        moment = float(stamp)
    except ValueError:
        return f"bad webhook-timestamp {stamp!r}"
    if abs(request.arrived - moment) > SIGNATURE_TOLERANCE:
        return f"webhook-timestamp {stamp} is more than 5 minutes from the arrival"
    when = datetime.fromtimestamp(moment, tz=UTC)
    bodies = {"wire": [request.raw], "decoded": [request.body]}.get(
        signed, [request.raw, request.body]
    )
    offered = signatures.split(" ")
    for body in bodies:
        expected = webhook.sign(msg_id, when, body)
        if expected in offered:
            return None
    return f"no signature matches ({len(offered)} offered)"


def wait_for(
    predicate: Callable[[], Any], timeout: float = PATIENCE, interval: float = 0.01
) -> Any:
    """Poll `predicate()` until it returns something truthy, and return that.

    Raises AssertionError (naming the predicate) when `timeout` seconds pass:
    a bound against a hang, never a measure of speed.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout} s: {_describe(predicate)}")
        time.sleep(interval)


def _describe(predicate: Callable[[], Any]) -> str:
    code = getattr(predicate, "__code__", None)
    if code is None:
        return repr(predicate)
    return f"{code.co_name} at {code.co_filename}:{code.co_firstlineno}"


@contextlib.contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A started `Receiver(**options)`, stopped when the block ends."""
    with Receiver(**options) as receiver:
        yield receiver


def standard_webhook_headers(secret: str, body: bytes, msg_id: str) -> dict[str, str]:
    """Standard Webhooks headers signing `body` now, for tests that play the sender.

    Computed with hashlib/hmac, not the package, so the receiver's check
    (through the package) is tested against a second implementation.
    """
    import hashlib
    import hmac

    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    stamp = str(int(time.time()))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
    }


def inject_every_fault(receiver: Receiver, *, slow: float) -> None:
    """Queue one of every fault for the next requests: a 429 with `Retry-After`, a 500,
    a 502, a 500 after the work was done, an answer `slow` seconds late (set it beyond
    the client's read timeout: the work is done, the answer lost), a reset after and
    one before the work, and a 200 that is not JSON."""
    receiver.fail(429, headers={"Retry-After": "1"})
    receiver.fail(500)
    receiver.fail(502)
    receiver.fail(500, processed=True)
    receiver.delay(slow)
    receiver.reset(processed=True)
    receiver.reset(processed=False)
    receiver.malformed()
