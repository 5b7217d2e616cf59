"""When a request is retried, and how long to wait: backoff with jitter and `Retry-After`.

A response is a success, retryable, or final (a record error). A request
that got no response at all (refused, reset, timed out) is retryable: the
idempotency key makes sending it again safe. Attempts stop at
`max_attempts` or once `max_seconds` have passed since the first, whichever
comes first; the run then fails, and the next one sends the request again
with the same key.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_RETRYABLE = (408, 429)
"""Statuses retried besides every 5xx."""


class RetrySettings(BaseModel):
    """How a connection retries (part of its configuration)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(
        8, ge=1, le=100, description="attempts per request, the first included"
    )
    max_seconds: float = Field(
        300, gt=0, le=86_400, description="seconds after the first attempt when retrying stops"
    )
    initial_backoff: float = Field(0.5, gt=0, le=60, description="seconds before the first retry")
    max_backoff: float = Field(30, gt=0, le=3600, description="the longest wait between attempts")


@dataclass(frozen=True)
class StatusRules:
    """Which statuses mean success and which are retried; any other is final.

    Empty `success` means every 2xx. `retryable` lists statuses retried
    besides every 5xx (unless a 5xx is listed as a success).
    """

    success: frozenset[int] = frozenset()
    retryable: frozenset[int] = field(default_factory=lambda: frozenset(DEFAULT_RETRYABLE))

    def is_success(self, status: int) -> bool:
        """Whether `status` means the request took effect."""
        return status in self.success if self.success else 200 <= status < 300

    def is_retryable(self, status: int) -> bool:
        """Whether a request answered `status` should be sent again."""
        if self.is_success(status):
            return False
        return status in self.retryable or 500 <= status < 600


@dataclass(frozen=True)
class Backoff:
    """The waits between attempts: exponential with full jitter, at least `Retry-After`."""

    settings: RetrySettings
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt 1 is the first).

        The jittered exponential wait, but never less than what the server
        asked for with `Retry-After`.
        """
        ceiling = min(
            self.settings.max_backoff, self.settings.initial_backoff * float(2 ** (attempt - 1))
        )
        jittered = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        return max(jittered, retry_after or 0.0)


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The seconds a `Retry-After` header asks to wait (delta-seconds or an HTTP date);
    None when absent or unreadable. A date in the past is 0."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
