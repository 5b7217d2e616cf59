"""The connection settings every network destination shares: limits, timeouts, retries."""

from __future__ import annotations

from pydantic import Field

from syncline.connectors.base import ConnectorConfig

DEFAULT_CONCURRENCY = 8


class DeliveryOptions(ConnectorConfig):
    """Limits, timeouts and retries of a connection to an API (a mixin of its configuration).

    The rate limit and the concurrency cap belong to the connection: every
    sync using it, in every process, shares them.
    """

    rate_limit: float | None = Field(
        None,
        gt=0,
        le=100_000,
        title="Rate limit",
        description="Requests per second across every sync using this connection (empty: none)",
    )
    concurrency: int = Field(
        DEFAULT_CONCURRENCY,
        ge=1,
        le=256,
        title="Concurrency",
        description="Requests in flight at once across every sync using this connection",
    )
    connect_timeout: float = Field(
        10, gt=0, le=600, title="Connect timeout", description="Seconds to wait for a connection"
    )
    read_timeout: float = Field(
        30, gt=0, le=3600, title="Read timeout", description="Seconds to wait for an answer"
    )
    max_attempts: int = Field(
        8, ge=1, le=100, title="Attempts", description="Attempts per request, the first included"
    )
    max_retry_seconds: float = Field(
        300,
        gt=0,
        le=86_400,
        title="Retry for",
        description="Seconds after a request's first attempt when retrying it stops",
    )
    idempotency_header: str = Field(
        "Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
        title="Idempotency header",
        description="The header carrying each request's idempotency key",
    )
