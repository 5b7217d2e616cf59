"""A small scriptable HTTP receiver for tests of API destinations.

`HttpReceiver` is an aiohttp server on 127.0.0.1 (an ephemeral port, plain or
TLS) running on an event loop in a thread of its own. It records every
request it gets (`seen`) and answers by `respond`, a function of the
request the test sets (200 with an empty JSON object by default). An answer
may be delayed; a delayed answer ends early when the receiver stops, so a
test never waits on a handler the client gave up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Seen:
    """One request as the receiver got it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    peer: dict[str, Any] | None = None
    """The client certificate, when the client presented one over TLS."""
    at: float = 0.0
    """When it arrived (`time.monotonic`)."""

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[Any]:
        """An NDJSON body's records."""
        return [json.loads(line) for line in self.body.decode().splitlines() if line]


@dataclass
class Answer:
    """What the receiver answers: a status, a body (JSON unless bytes or text), headers."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Respond = Callable[[Seen], Answer]


class HttpReceiver:
    """An HTTP server for one test (see the module docstring). Use `start` and `stop`."""

    def __init__(self, respond: Respond | None = None, *, ssl_context: Any = None) -> None:
        self.respond: Respond = respond or (lambda seen: Answer())
        self.seen: list[Seen] = []
        self.ssl_context = ssl_context
        self.url = ""
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None

    def start(self) -> HttpReceiver:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def requests(self, path: str | None = None) -> list[Seen]:
        """What was received (only at `path`, when given), in arrival order."""
        with self._lock:
            return [seen for seen in self.seen if path is None or seen.path == path]

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        port = self._runner.addresses[0][1]
        scheme = "https" if self.ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{port}"

    async def _stop(self) -> None:
        assert self._stopping is not None
        assert self._runner is not None
        self._stopping.set()
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        peer = transport.get_extra_info("peercert") if transport is not None else None
        seen = Seen(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.read(),
            peer=peer,
            at=time.monotonic(),
        )
        with self._lock:
            self.seen.append(seen)
        answer = self.respond(seen)
        if answer.delay:
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), answer.delay)
        body = answer.body
        if isinstance(body, str):
            body = body.encode()
        headers = dict(answer.headers)
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        return web.Response(status=answer.status, body=body, headers=headers)


@contextlib.contextmanager
def receiving(ssl_context: Any = None) -> Iterator[HttpReceiver]:
    """A started receiver (answering 200 `{}` until the test says otherwise), stopped after."""
    running = HttpReceiver(ssl_context=ssl_context).start()
    try:
        yield running
    finally:
        running.stop()
