"""The base of every network destination: a client, a shared budget, a record memory."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Mapping

from syncline import __version__
from syncline.connectors.base import MASK, TargetConnector
from syncline.connectors.delivery.budget import RateBudget, process_state
from syncline.connectors.delivery.memory import MemoryLedger
from syncline.connectors.delivery.options import DeliveryOptions
from syncline.connectors.delivery.tls import default_context
from syncline.connectors.delivery.transport import Answer, Credential, Transport
from syncline.connectors.writing import CommitLedger, SyncContext
from syncline.errors import ConnectorError

USER_AGENT = f"Syncline/{__version__}"


class DeliveryConnector(TargetConnector):
    """A destination reached over HTTP. Its configuration derives from `DeliveryOptions`.

    Subclasses say how requests authenticate (`make_credential`,
    `default_headers`) and which certificates they trust
    (`tls`); the writer (`DeliveryWriter`) does the rest.
    """

    @property
    def options(self) -> DeliveryOptions:
        """The connection's limits, timeouts and retries."""
        config = self.config
        assert isinstance(config, DeliveryOptions)
        return config

    _credential: Credential | None = None

    def credential(self) -> Credential | None:
        """How every request authenticates (None: by headers, or not at all): one per
        connector, so an OAuth token is fetched once for all its writers and checks."""
        if self._credential is None:
            self._credential = self.make_credential()
        return self._credential

    def make_credential(self) -> Credential | None:
        """The credential of this connection's configuration (`credential` keeps it)."""
        return None

    def scrub(self, message: str) -> str:
        """Remove the configuration's secrets and the credential's (an OAuth token)."""
        message = super().scrub(message)
        if self._credential is not None:
            for secret in self._credential.secrets():
                message = message.replace(secret, MASK)
        return message

    def default_headers(self) -> dict[str, str]:
        """Headers on every request, the connection's own included."""
        return {}

    def tls(self) -> ssl.SSLContext:
        """The certificates requests trust and present (raises `tls.CertificateProblem`)."""
        return default_context()

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

    def transport(self) -> Transport:
        """A transport with the connection's timeouts, TLS, credential and headers (to
        use and close on one event loop)."""
        options = self.options
        return Transport(
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            concurrency=options.concurrency,
            tls=self.tls(),
            headers={"User-Agent": USER_AGENT, **self.default_headers()},
            credential=self.credential(),
        )

    def probe(self, method: str, url: str) -> Answer:
        """One request with no body, sent now (a connection check). Raises
        `transport.NoAnswer`, `tls.CertificateProblem` or `auth.TokenRefused`."""

        async def send() -> Answer:
            transport = self.transport()
            try:
                return await transport.exchange(method, url, b"", {})
            finally:
                await transport.close()

        return asyncio.run(send())

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
