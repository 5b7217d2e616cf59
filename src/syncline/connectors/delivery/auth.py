"""How requests to an API authenticate: bearer, basic, header, query, OAuth2 client credentials.

Each is a `transport.Credential` given to the connection's transport
(`DeliveryConnector.credential`), so every attempt of every request carries
it, and nothing else in the delivery package handles it.

OAuth2 client credentials (RFC 6749 §4.4) fetches its access token with a
form POST through the same transport (same timeouts and TLS). The token is
kept until shortly before its `expires_in`, fetched again when it expires,
and once more when the API answers 401 (the request is then sent once
again). Requests in flight on one event loop share one token fetch; threads
and loops share the token.

A token endpoint that cannot answer now (no answer, 408, 429, 5xx) raises
`TokenUnavailable`, a `transport.NoAnswer`, so the sender retries the
request as it retries any request that got no answer. One that refuses
the credentials, or answers something that is not a token, raises
`TokenRefused` (a `ConnectorError`): every request would fail alike, so
the run stops with the endpoint's own explanation. Neither message ever
holds a secret; `secrets()` lists the token for a connector's `scrub`.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from base64 import b64encode
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from syncline.connectors.delivery.transport import Answer, Fetch, NoAnswer
from syncline.errors import ConnectorError

EXPIRY_MARGIN = 30.0
"""A token is fetched again this many seconds before it expires (a tenth of its
lifetime at most)."""

_EXCERPT = 200


class TokenRefused(ConnectorError):
    """The token endpoint refused the client credentials or answered no token."""


class TokenUnavailable(NoAnswer):
    """The token endpoint could not answer now; the request may be sent again."""


class StaticCredential:
    """Headers and query parameters that never change, on every request."""

    def __init__(
        self, headers: Mapping[str, str] | None = None, params: Sequence[tuple[str, str]] = ()
    ) -> None:
        self._headers = dict(headers or {})
        self._query = urlencode(list(params))
        self._values = [*self._headers.values(), *(value for _, value in params)]

    async def authorize(self, url: str, headers: dict[str, str], fetch: Fetch) -> str:
        headers.update(self._headers)
        if not self._query:
            return url
        base, _, fragment = url.partition("#")
        joined = base + ("&" if "?" in base else "?") + self._query
        return f"{joined}#{fragment}" if fragment else joined

    def refused(self, headers: Mapping[str, str]) -> bool:
        return False

    def secrets(self) -> list[str]:
        return [value for value in self._values if value]


def bearer_auth(token: str) -> StaticCredential:
    """`Authorization: Bearer <token>` on every request."""
    return StaticCredential({"Authorization": f"Bearer {token}"})


def header_auth(name: str, value: str) -> StaticCredential:
    """One header (`X-Api-Key: <key>`) on every request."""
    return StaticCredential({name: value})


def query_auth(params: Sequence[tuple[str, str]]) -> StaticCredential:
    """Query parameters (`?api_key=<key>`) added to every request's URL. Messages show
    URLs without their query (`sender.shown_url`), so the key stays out of them."""
    return StaticCredential(params=params)


def basic_auth(username: str, password: str) -> StaticCredential:
    """HTTP Basic authentication (`Authorization: Basic base64(user:password)`)."""
    return StaticCredential({"Authorization": _basic_header(username, password)})


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
    """The token of one `OAuthClientCredentials`, shared by every request using it."""

    token: _Token | None = None
    loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = field(
        default_factory=weakref.WeakKeyDictionary
    )


class OAuthClientCredentials:
    """OAuth2 client credentials (see the module docstring). Safe to share between
    threads and event loops; each loop keeps one token fetch at a time."""

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

    async def authorize(self, url: str, headers: dict[str, str], fetch: Fetch) -> str:
        """Fetch a token unless one is valid (requests in flight wait for one fetch)."""
        token = self._valid()
        if token is None:
            async with self._loop_lock():
                token = self._valid()
                if token is None:
                    token = self._accept(await fetch(*self.token_request()))
        headers["Authorization"] = f"Bearer {token}"
        return url

    def refused(self, headers: Mapping[str, str]) -> bool:
        """Forget the token the API refused (unless a newer one replaced it already):
        the request is sent once more with a new one."""
        self._expire(headers.get("Authorization", "").removeprefix("Bearer "))
        return True

    # ------------------------------------------------------------- tokens

    def token_request(self) -> tuple[str, dict[str, str], bytes]:
        """The form POST asking for a token: its URL, headers and body."""
        credentials = self.credentials
        form: list[tuple[str, str]] = [("grant_type", "client_credentials")]
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
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
        return credentials.token_url, headers, urlencode(form).encode()

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

    def _accept(self, answer: Answer) -> str:
        """The token in a token endpoint's answer, kept for later requests.

        Raises `TokenUnavailable` (try again) or `TokenRefused` (stop).
        """
        where = f"the OAuth token endpoint {self.credentials.token_url.split('?', 1)[0]}"
        status = answer.status
        # Scrubbed before it is cut, so no secret keeps its start across the cut.
        shown = " ".join(self._scrubbed(answer.text).split())[:_EXCERPT]
        if status in (408, 429) or status >= 500:
            raise TokenUnavailable(f"{where} answered HTTP {status}: {shown}".rstrip(": "))
        if not 200 <= status < 300:
            hint = "; check the client id and secret" if status in (400, 401, 403) else ""
            raise TokenRefused(f"{where} answered HTTP {status}: {shown}{hint}")
        read = _token_answer(answer)
        if read is None:
            # A success that cannot be read may still hold a token: its body is never shown.
            kind = answer.headers.get("content-type", "no content type")
            raise TokenRefused(
                f"{where} answered HTTP {status} with {len(answer.body)} bytes of {kind}, "
                "not a JSON token"
            )
        value = read.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenRefused(f"{where} answered no access_token (keys: {_keys(read)})")
        self._shared.token = _Token(value, self._expiry(read.get("expires_in")))
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


def _token_answer(answer: Answer) -> dict[str, Any] | None:
    """A token endpoint's answer as a mapping: JSON (RFC 6749), or the form encoding some
    older providers answer with; None when it is neither."""
    kind = answer.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in kind:
        return dict(parse_qsl(answer.text))
    try:
        read = json.loads(answer.body)
    except ValueError:
        return None
    return read if isinstance(read, dict) else None


def _keys(answer: dict[str, Any]) -> str:
    return ", ".join(sorted(str(key) for key in answer)) or "none"
