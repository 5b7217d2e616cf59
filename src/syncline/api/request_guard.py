"""Authentication before any body, and the body's limits: size and idle time.

The guard is a pure ASGI middleware, the app's outermost, so nothing inside it
(FastAPI's body parsing, the idempotency middleware) has read a byte of the
body when it decides:

- a write (POST, PUT, PATCH, DELETE) to the API (`/api/...`) with missing or
  invalid credentials gets 401 without its body being read; the principal of a
  valid one is kept in the request scope (`syncline.principal`), so the route
  does not look it up again. The web UI's pages authenticate their session
  cookie themselves, in the page's first dependency, which runs before any
  body is read (`syncline.ui.access`);
- a `Content-Length` above `max_body_mb` gets 413 at once;
- a body without a `Content-Length` is counted as the app reads it and cut with
  413 at the limit;
- a body that sends nothing for `body_timeout` seconds while the app waits for
  it gets 408.

The guard answers a refusal itself, in the error envelope, with `Connection:
close` when the body was not read to its end (so the server drops the
connection instead of reading the rest). An app that was reading the body
gets a disconnect instead of the next chunk, and its own answer is dropped:
the refusal reaches the client however many middlewares stand in between.

Uvicorn applies back-pressure to a body the app does not read, but has no
limit on a body's size nor on how long it may stall, and FastAPI's own
`max_body_size` answers in plain text and replaces any earlier answer (the
401) with its own; hence this module.
"""

from __future__ import annotations

import logging

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncline.api import errors
from syncline.api.deps import PRINCIPAL_SCOPE_KEY, AppState
from syncline.errors import SynclineError
from syncline.services.auth import authenticate

log = logging.getLogger("syncline.api")

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    """Whether `path` belongs to the API (`/api` and below), not to the web UI."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


_CLOSE = {"Connection": "close"}
_DISCONNECT: Message = {"type": "http.disconnect"}


class RequestGuard:
    """ASGI middleware: credentials before the body of a write, then the body's limits."""

    def __init__(self, app: ASGIApp, *, max_body_mb: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_mb = max_body_mb
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, receive, send)
        headers = Headers(scope=scope)

        if scope["method"] in _WRITES and is_api_path(scope["path"]):
            state: AppState = scope["app"].state.syncline
            try:
                scope[PRINCIPAL_SCOPE_KEY] = await run_in_threadpool(
                    authenticate, state.store, state.settings, headers.get("authorization")
                )
            except SynclineError as exc:
                await exchange.refuse(errors.status_of(exc), exc.message, exc.key, exc.metadata)
                return

        declared = _content_length(headers)
        if declared is not None and declared > exchange.limit:
            await exchange.refuse(413, exchange.too_large())
            return

        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if not exchange.answered:
                raise
            # The body was refused and answered; what the app made of the
            # disconnect it was handed instead no longer reaches anyone.
            log.debug("request refused while the app read its body", exc_info=True)


class _Exchange:
    """One request through the guard: its body counted and timed, its answer tracked."""

    def __init__(self, guard: RequestGuard, scope: Scope, receive: Receive, send: Send) -> None:
        self.guard = guard
        self.limit = guard.max_body_mb * 1024 * 1024
        self.scope = scope
        self._receive = receive
        self._send = send
        self._received = 0
        self._complete = False
        self.started = False
        self.refused = False
        self.answered = False

    def too_large(self) -> str:
        return (
            f"the request body is larger than {self.guard.max_body_mb} MiB "
            "(SYNCLINE_MAX_BODY_MB); send a smaller one"
        )

    async def receive(self) -> Message:
        """The next message of the body, unless it breaks a limit: then the guard answers."""
        if self.refused:
            return _DISCONNECT
        if self._complete:
            # Only a disconnect can come now, however long it takes.
            return await self._receive()
        try:
            with anyio.fail_after(self.guard.body_timeout):
                message = await self._receive()
        except TimeoutError:
            await self.refuse(
                408,
                f"the request body stalled: nothing arrived for {self.guard.body_timeout:g} s "
                "(SYNCLINE_BODY_TIMEOUT)",
            )
            return _DISCONNECT
        if message["type"] != "http.request":
            self._complete = True
            return message
        self._received += len(message.get("body", b""))
        if self._received > self.limit:
            await self.refuse(413, self.too_large())
            return _DISCONNECT
        self._complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        """The app's answer, unless the guard has answered already."""
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(
        self,
        status: int,
        message: str,
        key: str | None = None,
        metadata: dict[str, object] | None = None,
    ) -> None:
        """Answer `status` in the envelope, closing the connection when a body is left unread.

        From then on the app, if it was reading, gets a disconnect and its own
        answer is dropped. An app that had started answering already keeps its
        answer; it only gets the disconnect.
        """
        self.refused = True
        if self.started:
            return
        self.answered = True
        headers = Headers(scope=self.scope)
        unread = not self._complete and (
            bool(_content_length(headers)) or "transfer-encoding" in headers
        )
        answer = errors.envelope(
            status, message, key or errors.http_key(status), metadata, _CLOSE if unread else None
        )
        await answer(self.scope, self._receive, self._send)


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
