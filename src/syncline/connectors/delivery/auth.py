"""How requests to an API authenticate: bearer, basic, header, query, OAuth2 client credentials.

Each is an `httpx.Auth` given to the client (`DeliveryConnector.http_auth`),
so every attempt of every request carries the credential, and nothing else
in the delivery package handles it.

OAuth2 client credentials (RFC 6749 §4.4) fetches its access token through
the auth flow itself: the token request is one more request of the flow,
sent by the same client (same timeouts and TLS). The token is kept until
shortly before its `expires_in`, fetched again when it expires, and once
more when the API answers 401 (the request is then sent once again). On an
`AsyncClient`, requests in flight share one token fetch.

A token endpoint that cannot answer now (no answer, 408, 429, 5xx) raises
`TokenUnavailable`, an `httpx.TransportError`, so the sender retries the
request as it retries any request that got no answer. One that refuses
the credentials, or answers something that is not a token, raises
`TokenRefused` (a `ConnectorError`): every request would fail alike, so
the run stops with the endpoint's own explanation. Neither message ever
holds a secret; `secrets()` lists the token for a connector's `scrub`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from base64 import b64encode
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from syncline.errors import ConnectorError

EXPIRY_MARGIN = 30.0
"""A token is fetched again this many seconds before it expires (a tenth of its
lifetime at most)."""

_EXCERPT = 200


class TokenRefused(ConnectorError):
    """The token endpoint refused the client credentials or answered no token."""


class TokenUnavailable(httpx.TransportError):
    """The token endpoint could not answer now; the request may be sent again."""


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class HeaderAuth(httpx.Auth):
    """One header (`X-Api-Key: <key>`) on every request."""

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.name] = self._value
        yield request


class QueryAuth(httpx.Auth):
    """Query parameters (`?api_key=<key>`) added to every request's URL.

    Messages show URLs without their query (`sender.shown_url`), so the key
    stays out of them.
    """

    def __init__(self, params: Sequence[tuple[str, str]]) -> None:
        self._params = list(params)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = request.url
        for name, value in self._params:
            url = url.copy_add_param(name, value)
        request.url = url
        yield request


def basic_auth(username: str, password: str) -> httpx.BasicAuth:
    """HTTP Basic authentication (`Authorization: Basic base64(user:password)`)."""
    return httpx.BasicAuth(username, password)


@dataclass(frozen=True)
class ClientCredentials:
    """Where and how an OAuth2 client asks for its tokens.

    `client_authentication` says how the client proves itself: `body` sends
    `client_id` and `client_secret` as form fields (`client_secret_post`,
    what most providers document), `basic` in an `Authorization: Basic`
    header (`client_secret_basic`). `params` are extra form fields.
    """

    token_url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ()
    audience: str = ""
    params: tuple[tuple[str, str], ...] = ()
    client_authentication: str = "body"


@dataclass
class _Token:
    value: str
    expires: float | None


@dataclass
class _Shared:
    """The token of one `OAuthClientCredentials`, shared by every flow using it."""

    token: _Token | None = None
    thread_lock: threading.Lock = field(default_factory=threading.Lock)
    loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = field(
        default_factory=weakref.WeakKeyDictionary
    )


class OAuthClientCredentials(httpx.Auth):
    """OAuth2 client credentials (see the module docstring). Safe to share between
    threads and event loops; each keeps one token fetch at a time."""

    def __init__(
        self,
        credentials: ClientCredentials,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self._clock = clock
        self._shared = _Shared()

    def secrets(self) -> list[str]:
        """The values to scrub from messages: the client secret and the current token."""
        token = self._shared.token
        found = [self.credentials.client_secret]
        if token is not None:
            found.append(token.value)
        return [value for value in found if value]

    # ------------------------------------------------------------- flows

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Fetch a token unless one is valid (one fetch at a time across threads), send
        the request, and on a 401 fetch a new token and send it once more. The flows
        read the token endpoint's answers themselves (`requires_response_body` is for
        the default flows, which these replace)."""
        token = yield from self._sync_token(request, None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = yield from self._sync_token(request, token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """`sync_auth_flow` on an event loop: requests in flight wait for one fetch."""
        token = self._valid()
        if token is None:
            async with self._loop_lock():
                token = self._valid()
                if token is None:
                    response = yield self.token_request(request)
                    await response.aread()
                    token = self._accept(response)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._loop_lock():
            # Another request may have fetched a new token since this one was sent.
            self._expire(token)
            fresh = self._valid()
            if fresh is None:
                reply = yield self.token_request(request)
                await reply.aread()
                fresh = self._accept(reply)
        request.headers["Authorization"] = f"Bearer {fresh}"
        yield request

    def _sync_token(
        self, request: httpx.Request, rejected: str | None
    ) -> Generator[httpx.Request, httpx.Response, str]:
        """A valid token, fetched under the thread lock when none is (or only `rejected` is)."""
        with self._shared.thread_lock:
            if rejected is not None:
                self._expire(rejected)
            token = self._valid()
            if token is None:
                response = yield self.token_request(request)
                response.read()
                token = self._accept(response)
        return token

    # ------------------------------------------------------------- tokens

    def token_request(self, request: httpx.Request) -> httpx.Request:
        """The form POST asking for a token, with the timeouts of `request`."""
        credentials = self.credentials
        form: list[tuple[str, str]] = [("grant_type", "client_credentials")]
        headers = {"Accept": "application/json"}
        if credentials.client_authentication == "basic":
            secret = credentials.client_secret
            headers["Authorization"] = _basic_header(credentials.client_id, secret)
        else:
            form += [("client_id", credentials.client_id)]
            form += [("client_secret", credentials.client_secret)]
        if credentials.scopes:
            form.append(("scope", " ".join(credentials.scopes)))
        if credentials.audience:
            form.append(("audience", credentials.audience))
        form.extend(credentials.params)
        data: dict[str, list[str]] = {}
        for name, value in form:
            data.setdefault(name, []).append(value)
        extensions = {}
        if "timeout" in request.extensions:
            extensions["timeout"] = request.extensions["timeout"]
        return httpx.Request(
            "POST", credentials.token_url, data=data, headers=headers, extensions=extensions
        )

    def _valid(self) -> str | None:
        token = self._shared.token
        if token is None:
            return None
        if token.expires is not None and self._clock() >= token.expires:
            return None
        return token.value

    def _expire(self, value: str) -> None:
        """Forget the token `value` (the API refused it), unless a newer one replaced it."""
        token = self._shared.token
        if token is not None and token.value == value:
            self._shared.token = None

    def _accept(self, response: httpx.Response) -> str:
        """The token in a token endpoint's answer, kept for later requests.

        Raises `TokenUnavailable` (try again) or `TokenRefused` (stop).
        """
        where = f"the OAuth token endpoint {self.credentials.token_url.split('?', 1)[0]}"
        status = response.status_code
        # Scrubbed before it is cut, so no secret keeps its start across the cut.
        shown = " ".join(self._scrubbed(response.text).split())[:_EXCERPT]
        if status in (408, 429) or status >= 500:
            raise TokenUnavailable(f"{where} answered HTTP {status}: {shown}".rstrip(": "))
        if not 200 <= status < 300:
            hint = "; check the client id and secret" if status in (400, 401, 403) else ""
            raise TokenRefused(f"{where} answered HTTP {status}: {shown}{hint}")
        answer = _token_answer(response)
        if answer is None:
            # A success that cannot be read may still hold a token: its body is never shown.
            kind = response.headers.get("content-type", "no content type")
            raise TokenRefused(
                f"{where} answered HTTP {status} with {len(response.content)} bytes of {kind}, "
                "not a JSON token"
            )
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenRefused(f"{where} answered no access_token (keys: {_keys(answer)})")
        self._shared.token = _Token(value, self._expiry(answer.get("expires_in")))
        return value

    def _expiry(self, expires_in: object) -> float | None:
        try:
            seconds = float(expires_in)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        margin = min(EXPIRY_MARGIN, seconds / 10)
        return self._clock() + max(0.0, seconds - margin)

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._shared.loop_locks.get(loop)
        if lock is None:
            lock = self._shared.loop_locks[loop] = asyncio.Lock()
        return lock

    def _scrubbed(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "********")
        return text


def _basic_header(username: str, password: str) -> str:
    return "Basic " + b64encode(f"{username}:{password}".encode()).decode()


def _token_answer(response: httpx.Response) -> dict[str, Any] | None:
    """A token endpoint's answer as a mapping: JSON (RFC 6749), or the form encoding some
    older providers answer with; None when it is neither."""
    kind = response.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in kind:
        return dict(parse_qsl(response.text))
    try:
        answer = json.loads(response.content)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _keys(answer: dict[str, Any]) -> str:
    return ", ".join(sorted(str(key) for key in answer)) or "none"
