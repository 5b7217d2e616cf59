"""Exchanging requests with an API: one aiohttp session per sender, credentials applied.

A `Transport` sends one request and returns its `Answer` (status, headers,
and the body, read up to `MAX_ANSWER_BYTES`), or raises `NoAnswer` when none
came: refused, reset, closed, timed out. It applies the connection's
`Credential` to every request, and on a 401 lets it renew itself (a new
OAuth token) and sends the request once more.

Every request has a connect timeout, a read timeout (between two reads of
the answer) and, around sending it and receiving the answer's head, a
bound of their sum plus the read timeout again (for an API that never
reads the body). Redirects are never followed: a credential never goes to
another host. Cookies are not kept, and nothing is taken from the server's
environment (no `~/.netrc` credentials, no proxy variables).

Why aiohttp: a delivery is mostly per-request overhead, and a request
through aiohttp costs about a third of the CPU of one through httpx's
client (`bench/http_delivery.py` measures against an httpx floor).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""The most of an answer's body read (the rest is dropped unread)."""


@dataclass(frozen=True)
class Answer:
    """An API's answer: its status, headers (looked up case-insensitively) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


class NoAnswer(Exception):
    """A request got no answer (`words` says why); sending it again may get one.

    `timed_out`: a timeout ran out; `closed`: the connection was closed or reset
    after it was made (as a server does that wants a client certificate)."""

    def __init__(self, words: str, *, timed_out: bool = False, closed: bool = False) -> None:
        super().__init__(words)
        self.words = words
        self.timed_out = timed_out
        self.closed = closed


Fetch = Callable[[str, dict[str, str], bytes], Awaitable[Answer]]
"""Sends a POST of a body with headers to a URL, without credentials (a token request)."""


class Credential(Protocol):
    """How every request of a connection authenticates (see `delivery.auth`)."""

    async def authorize(self, url: str, headers: dict[str, str], fetch: Fetch) -> str:
        """Add the credential to `headers` (in place); the URL to send to."""

    def refused(self, headers: Mapping[str, str]) -> bool:
        """The API answered 401 to a request sent with `headers`: whether a renewed
        credential is worth sending it once more."""

    def secrets(self) -> list[str]:
        """Values to scrub from messages."""


class Transport:
    """Sends requests over one aiohttp session (see the module docstring). Use it on one
    event loop; `close` it there."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        concurrency: int,
        tls: ssl.SSLContext,
        headers: Mapping[str, str],
        credential: Credential | None = None,
    ) -> None:
        self.credential = credential
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._exchange_limit = connect_timeout + 2 * read_timeout
        self._concurrency = concurrency
        self._tls = tls
        self._headers = dict(headers)
        self._session: aiohttp.ClientSession | None = None

    async def exchange(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """Send one request with the credential; its answer. Raises `NoAnswer`, or the
        credential's `ConnectorError` when it cannot be had (`auth.TokenRefused`)."""
        sent = dict(headers)
        target = url
        if self.credential is not None:
            target = await self.credential.authorize(url, sent, self._fetch)
        answer = await self._once(method, target, body, sent)
        if answer.status == 401 and self.credential is not None and self.credential.refused(sent):
            sent = dict(headers)
            target = await self.credential.authorize(url, sent, self._fetch)
            answer = await self._once(method, target, body, sent)
        return answer

    async def close(self) -> None:
        """Close the session's connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    # ------------------------------------------------------------- internals

    async def _fetch(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        return await self._once("POST", url, body, headers)

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency, ssl=self._tls),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self._connect_timeout, sock_read=self._read_timeout
                ),
                headers=self._headers,
                cookie_jar=aiohttp.DummyCookieJar(),
                # Nothing from the server's environment: no ~/.netrc credentials sent to
                # an API (read on every request besides), no proxy it was not told of.
                trust_env=False,
            )
        return self._session

    async def _once(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        session = self._opened()
        try:
            async with asyncio.timeout(self._exchange_limit):
                response = await session.request(
                    method,
                    url,
                    data=body or None,
                    headers=headers,
                    allow_redirects=False,
                )
            try:
                return Answer(response.status, response.headers, await _bounded(response))
            finally:
                response.release()
        except aiohttp.ClientError as error:
            raise NoAnswer(
                _words(error),
                timed_out=isinstance(error, TimeoutError),
                closed=isinstance(error, _CLOSED) and not isinstance(error, _NOT_CONNECTED),
            ) from None
        except TimeoutError:
            raise NoAnswer(
                f"no answer within {self._exchange_limit:g} s of sending", timed_out=True
            ) from None


async def _bounded(response: aiohttp.ClientResponse) -> bytes:
    """The answer's body, at most `MAX_ANSWER_BYTES` of it (an API's answer is read for
    a status, results and ids, never kept whole when it is huge, or when it
    decompresses to much more than it weighs)."""
    parts: list[bytes] = []
    size = 0
    while size < MAX_ANSWER_BYTES and (
        chunk := await response.content.read(MAX_ANSWER_BYTES - size)
    ):
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


_CLOSED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError)
_NOT_CONNECTED = (aiohttp.ClientConnectorError,)


def _words(error: aiohttp.ClientError) -> str:
    """What went wrong without an answer, in words (the most specific kind first)."""
    kinds: list[tuple[type[Exception], str]] = [
        (aiohttp.ConnectionTimeoutError, "no connection within the connect timeout"),
        (aiohttp.SocketTimeoutError, "no answer within the read timeout"),
        (aiohttp.ServerTimeoutError, "no answer within the read timeout"),
        (aiohttp.ClientConnectorCertificateError, "the server's certificate is not trusted"),
        (aiohttp.ClientSSLError, "the TLS handshake failed"),
        (aiohttp.ClientConnectorError, "cannot connect"),
        (aiohttp.ServerDisconnectedError, "the connection was closed without an answer"),
        (aiohttp.ClientPayloadError, "the answer was cut off"),
        (aiohttp.ClientOSError, "the connection was reset"),
        (aiohttp.ClientResponseError, "the answer is not HTTP"),
    ]
    detail = _detail(error)
    for kind, words in kinds:
        if isinstance(error, kind):
            return f"{words} ({detail})" if detail else words
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _detail(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientResponseError):
        return error.message
    if isinstance(error, aiohttp.ClientConnectorError):
        return str(error.os_error) or str(error)
    return str(error)
