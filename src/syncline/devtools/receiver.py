"""`syncline dev receiver`: an HTTP server that prints every request an HTTP destination sends.

It accepts any method on any path, reads the body (at most 16 MiB, on the
wire and once gunzipped, else 413), parses JSON, arrays and NDJSON, and
prints one line per request (time, method, path, answer, number of records,
size) with the first record's fields shortened below it; with a secret, it
also says whether the Standard Webhooks signature verifies and whether
`Authorization: Bearer <secret>` matches. `--json` prints one JSON object per
request instead. It answers `{"ok": true}` with the chosen status (200 by
default), so a sync's error handling can be tried with another one.

It is a plain ASGI app on uvicorn, with no state but the idempotency keys it
has seen (to mark repeats), and nothing from the rest of Syncline.
"""

from __future__ import annotations

import json
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from syncline.devtools.bodies import (
    LIMIT,
    Parsed,
    TooLarge,
    Undecodable,
    decode,
    parse,
    records_of,
)
from syncline.devtools.signatures import bearer_matches, signing_key, verify
from syncline.errors import BadRequest

KEY_HEADER = "Idempotency-Key"
REMEMBERED_KEYS = 100_000
"""Idempotency keys kept to mark repeats; the oldest are forgotten first."""
FIELD_WIDTH = 40
FIRST_WIDTH = 160

Emit = Callable[[str], None]


@dataclass(frozen=True)
class ReceiverOptions:
    """How the receiver answers and what it checks and prints."""

    status: int = 200
    secret: str | None = None
    as_json: bool = False
    key: bytes | None = field(default=None, init=False)
    """The signing key of `secret`, derived once."""

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise BadRequest(f"--status {self.status} is not an HTTP status (100 to 599)")
        if self.secret is not None:
            object.__setattr__(self, "key", signing_key(self.secret))


@dataclass
class Arrival:
    """What one request brought, as printed."""

    at: float
    method: str
    path: str
    query: str
    status: int
    size: int
    content_type: str | None
    content_encoding: str | None
    body: str = "empty"
    """json, ndjson, text, empty, or refused (too large or undecodable)."""
    records: list[Any] | None = None
    event: str | None = None
    problem: str | None = None
    key: str | None = None
    repeat: bool = False
    signature: str | None = None
    signature_ok: bool | None = None
    signed_body: str | None = None
    bearer: str | None = None

    def line(self) -> str:
        """The readable lines: what arrived and what was answered, then the first record."""
        target = f"{self.path}?{self.query}" if self.query else self.path
        stamp = datetime.fromtimestamp(self.at).strftime("%H:%M:%S.%f")[:-3]
        parts = [f"{stamp}  {self.method} {target}  -> {self.status}", self._content()]
        if self.event:
            parts.append(self.event)
        if self.signature is not None:
            parts.append(self.signature + self._signed())
        if self.bearer is not None:
            parts.append(f"bearer {self.bearer}")
        if self.key is not None:
            parts.append(f"key {_cut(self.key, 16)}" + (" (repeat)" if self.repeat else ""))
        lines = ["  ".join(parts)]
        if self.problem:
            lines.append(f"    problem: {self.problem}")
        if self.records:
            lines.append(f"    first: {first_fields(self.records[0])}")
        return "\n".join(lines)

    def _signed(self) -> str:
        """Over which body a good signature was made, when the body was gzipped."""
        if self.signed_body == "decoded":
            return " (over the gunzipped body)"
        if self.signed_body == "wire" and _gzipped(self.content_encoding):
            return " (over the gzipped bytes)"
        return ""

    def _content(self) -> str:
        size = _size(self.size) + (", gzip" if _gzipped(self.content_encoding) else "")
        if self.records is not None:
            count = len(self.records)
            return f"{count} record{'' if count == 1 else 's'} ({self.body}, {size})"
        return f"{self.body} body ({size})"

    def as_json(self) -> str:
        """One JSON object, on one line."""
        return json.dumps(
            {
                "time": datetime.fromtimestamp(self.at)
                .astimezone()
                .isoformat(timespec="milliseconds"),
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "status": self.status,
                "bytes": self.size,
                "content_type": self.content_type,
                "content_encoding": self.content_encoding,
                "body": self.body,
                "event": self.event,
                "records": None if self.records is None else len(self.records),
                "first_record": self.records[0] if self.records else None,
                "problem": self.problem,
                "idempotency_key": self.key,
                "repeat": self.repeat,
                "signature": self.signature,
                "signature_ok": self.signature_ok,
                "signed_body": self.signed_body,
                "bearer": self.bearer,
            },
            default=str,
        )


def first_fields(record: Any) -> str:
    """A record shortened for one line: its `fields` (or itself) as `name=value, ...`."""
    values = record.get("fields", record) if isinstance(record, dict) else record
    if not isinstance(values, dict):
        return _cut(json.dumps(values, default=str), FIRST_WIDTH)
    shown = ", ".join(f"{name}={_cut(_text(value), FIELD_WIDTH)}" for name, value in values.items())
    return _cut(shown, FIRST_WIDTH)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def _gzipped(encoding: str | None) -> bool:
    return (encoding or "").strip().lower() in ("gzip", "x-gzip")


class ReceiverApp:
    """The ASGI app: read, check, print, answer. `emit` gets each request's text."""

    def __init__(
        self, options: ReceiverOptions, emit: Emit, clock: Callable[[], float] = time.time
    ) -> None:
        self.options = options
        self.emit = emit
        self.clock = clock
        self._keys: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        arrival = Arrival(
            at=self.clock(),
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            status=self.options.status,
            size=0,
            content_type=request.headers.get("content-type"),
            content_encoding=request.headers.get("content-encoding"),
        )
        answer: dict[str, Any] = {"ok": self.options.status < 400}
        try:
            raw = await _read(request, arrival)
            body = decode(raw, arrival.content_encoding)
            parsed = parse(body, arrival.content_type)
        except TooLarge as exc:
            arrival.status, arrival.body, arrival.problem = 413, "refused", str(exc)
            answer = {"ok": False, "error": str(exc)}
        except Undecodable as exc:
            arrival.status, arrival.body, arrival.problem = 400, "refused", str(exc)
            answer = {"ok": False, "error": str(exc)}
        else:
            self._describe(arrival, request, raw, body, parsed)
        self.emit(arrival.as_json() if self.options.as_json else arrival.line())
        await JSONResponse(answer, status_code=arrival.status)(scope, receive, send)

    def _describe(
        self, arrival: Arrival, request: Request, raw: bytes, body: bytes, parsed: Parsed
    ) -> None:
        arrival.body = parsed.kind
        arrival.records = records_of(parsed)
        if isinstance(parsed.data, dict) and isinstance(parsed.data.get("event"), str):
            arrival.event = parsed.data["event"]
        arrival.key = request.headers.get(KEY_HEADER)
        if arrival.key is not None:
            arrival.repeat = self._seen(arrival.key)
        if self.options.secret is None or self.options.key is None:
            return
        # The scheme signs the body as sent; a receiver behind a layer that gunzips sees
        # only the decoded body, so either is accepted, and which one matched is said.
        candidates = [("wire", raw)] if raw == body else [("wire", raw), ("decoded", body)]
        verdict = verify(self.options.key, request.headers, candidates, self.clock())
        arrival.signature, arrival.signature_ok = verdict.reason, verdict.ok
        arrival.signed_body = verdict.signed
        arrival.bearer = bearer_matches(request.headers.get("authorization"), self.options.secret)

    def _seen(self, key: str) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > REMEMBERED_KEYS:
            self._keys.popitem(last=False)
        return False


async def _read(request: Request, arrival: Arrival) -> bytes:
    """The body as sent, refusing more than `LIMIT` bytes before reading them when it can."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > LIMIT:
        arrival.size = int(declared)
        raise TooLarge(f"body larger than {LIMIT // (1024 * 1024)} MiB")
    chunks: list[bytes] = []
    async for chunk in request.stream():
        arrival.size += len(chunk)
        if arrival.size > LIMIT:
            raise TooLarge(f"body larger than {LIMIT // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host:port` (0: any free port); raises `BadRequest` when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise BadRequest(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port"
        ) from None
    return sock


def url_of(sock: socket.socket) -> str:
    """The URL a client on this machine uses to reach `sock`."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # noqa: S104 - shown, not bound
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(options: ReceiverOptions, host: str, port: int, emit: Emit) -> None:
    """Listen, say where, and print what arrives until SIGINT or SIGTERM.

    Raises `BadRequest` when the address cannot be had. The first line is
    `Receiving at <url>`: the URL to give a webhook connection.
    """
    sock = listen(host, port)
    try:
        url = url_of(sock)
        emit(f"Receiving at {url} (use it as the webhook connection's url); Ctrl-C stops")
        if options.secret is not None:
            emit("Checking each request's Standard Webhooks signature and bearer secret")
        config = uvicorn.Config(
            ReceiverApp(options, emit),
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
