"""The base of every network destination: a client, a shared budget, a record memory."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from syncline import __version__
from syncline.connectors.base import MASK, TargetConnector
from syncline.connectors.delivery.auth import OAuthClientCredentials
from syncline.connectors.delivery.budget import RateBudget, process_state
from syncline.connectors.delivery.memory import MemoryLedger
from syncline.connectors.delivery.options import DeliveryOptions
from syncline.connectors.writing import CommitLedger, SyncContext
from syncline.errors import ConnectorError

USER_AGENT = f"Syncline/{__version__}"


class DeliveryConnector(TargetConnector):
    """A destination reached over HTTP. Its configuration derives from `DeliveryOptions`.

    Subclasses say where requests go (`base_url`), how they authenticate
    (`http_auth`, `default_headers`) and which certificates they trust
    (`tls`); the writer (`DeliveryWriter`) does the rest.
    """

    @property
    def options(self) -> DeliveryOptions:
        """The connection's limits, timeouts and retries."""
        config = self.config
        assert isinstance(config, DeliveryOptions)
        return config

    _auth: httpx.Auth | None = None

    def http_auth(self) -> httpx.Auth | None:
        """How every request authenticates (None: by headers, or not at all): one per
        connector, so an OAuth token is fetched once for all its writers and checks."""
        if self._auth is None:
            self._auth = self.make_auth()
        return self._auth

    def make_auth(self) -> httpx.Auth | None:
        """The authentication of this connection's configuration (`http_auth` keeps it)."""
        return None

    def scrub(self, message: str) -> str:
        """Remove the configuration's secrets and the current OAuth token from a message."""
        message = super().scrub(message)
        if isinstance(self._auth, OAuthClientCredentials):
            for secret in self._auth.secrets():
                message = message.replace(secret, MASK)
        return message

    def default_headers(self) -> dict[str, str]:
        """Headers on every request, the connection's own included."""
        return {}

    def tls(self) -> tuple[ssl.SSLContext | bool, Any]:
        """The `verify` and `cert` arguments of the client (trusted CAs, a client certificate)."""
        return True, None

    def budget_key(self) -> str:
        """The key of this connection's shared budget: its id, or (outside a server)
        a digest of where it sends."""
        if self.connection_key:
            return self.connection_key
        return hashlib.sha256(repr(self.config.model_dump(mode="json")).encode()).hexdigest()[:32]

    def budget(self) -> RateBudget:
        """This process's handle on the connection's shared rate budget."""
        options = self.options
        state = self.shared_state if self.shared_state is not None else process_state()
        return RateBudget(
            state, self.budget_key(), rate=options.rate_limit, cap=options.concurrency
        )

    def client(self) -> httpx.AsyncClient:
        """A client with the connection's timeouts, TLS, authentication and headers."""
        options = self.options
        verify, cert = self.tls()
        return httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=options.connect_timeout,
                read=options.read_timeout,
                write=options.read_timeout,
                pool=None,
            ),
            limits=httpx.Limits(
                max_connections=options.concurrency, max_keepalive_connections=options.concurrency
            ),
            verify=verify,
            cert=cert,
            auth=self.http_auth(),
            headers={"User-Agent": USER_AGENT, **self.default_headers()},
            follow_redirects=False,
        )

    def context(self) -> SyncContext:
        """The sync being written for. Raises `ConnectorError` when none was attached."""
        if self.sync_context is None:
            raise ConnectorError(
                f"a {self.type_id} target remembers what it sent, per sync: "
                "it writes only within a sync's run"
            )
        return self.sync_context

    def commit_ledger(
        self, object_id: str, create: Mapping[str, str] | None = None
    ) -> CommitLedger | None:
        if self.sync_context is None:
            return None
        return MemoryLedger(self.sync_context.directory)
