"""A connection's rate budget: requests per second and a concurrency cap, shared.

Every sync using a connection, in every process and on every machine,
draws from one budget kept in a `SharedState` under the connection's key:

- **Rate** (generic cell rate): the document keeps the time after which the
  next request may start (`next`). Reserving `n` slots moves it on by `n`
  intervals; a process sends its reserved requests at their slot times, so
  requests are spaced one interval apart across everyone. The interval is
  `1 / (rate * HEADROOM)`: an API counts requests when they arrive, and
  arrivals jitter, so the budget keeps a little under the limit for the
  jitter never to push a second over it. A process reserves a few slots at
  a time (about a fifth of a second's worth, at most its concurrency), so
  the shared state is touched a few times a second, not once a request; a
  slot the process could not use in time (it was busy) is dropped rather
  than used late, so late requests never bunch up.
- **Backing off**: a 429 halves the rate everyone uses (down to a
  sixteenth) and, with `Retry-After`, stops every slot before that time.
  The rate doubles back every `RECOVERY_SECONDS` without a 429.
- **Concurrency**: `cap` permits shared by leases. A holder records how many
  it holds, renews every `RENEW_SECONDS` and asks for a fair share (the cap
  split between holders that want some); it takes only permits nobody
  holds, and gives back only what it has no request in flight on, so the
  permits held never add up to more than the cap. A holder that stops
  renewing (a killed process) loses its permits after `LEASE_SECONDS`.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from syncline.connectors.delivery.shared import Document, LocalState, SharedState

RECOVERY_SECONDS = 10.0
"""After a 429, the rate doubles back every this many seconds without another."""
MIN_SCALE = 1 / 16
"""The lowest fraction of the configured rate 429s bring the budget to."""
LEASE_SECONDS = 10.0
"""A concurrency lease not renewed for this long is free again."""
RENEW_SECONDS = 0.5
"""How often a holder renews its lease and asks for its fair share."""
RESERVE_SECONDS = 0.2
"""How far ahead a process reserves rate slots at a time."""
HEADROOM = 0.95
"""The fraction of a connection's rate limit the budget spends (see the module docstring)."""

_PROCESS_STATE = LocalState()
"""The state shared by the syncs of a process when nothing wider was given."""


def process_state() -> LocalState:
    """The `SharedState` of this process (connectors not given a wider one share it)."""
    return _PROCESS_STATE


@dataclass(frozen=True)
class Slots:
    """Rate slots reserved at once: `count` request starts, `interval` apart from `first`."""

    first: float
    interval: float
    count: int

    def at(self, index: int) -> float:
        """The start time of slot `index`."""
        return self.first + index * self.interval


class RateBudget:
    """One process's view of a connection's shared budget (see the module docstring).

    `rate` is requests per second (None: unlimited); `cap` is the most
    requests in flight at once across everyone. Thread-safe; every method is
    short (one update of the shared state at most).
    """

    def __init__(
        self, state: SharedState, key: str, *, rate: float | None, cap: int, clock: Any = time.time
    ) -> None:
        self.state = state
        self.key = f"budget:{key}"
        self.rate = rate
        self.cap = cap
        self.holder = uuid.uuid4().hex
        self._clock = clock
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- rate

    def reserve(self, wanted: int) -> Slots:
        """Reserve up to `wanted` slots (at least one); with no rate, all at once, now."""
        now = self._clock()
        if self.rate is None:
            return Slots(now, 0.0, wanted)
        rate = self.rate
        count = max(1, min(wanted, math.ceil(rate * RESERVE_SECONDS)))

        def change(document: Document | None) -> tuple[Document, Slots]:
            document = dict(document or {})
            scale = _scale(document, now)
            interval = 1.0 / (rate * HEADROOM * scale)
            first = max(float(document.get("next", 0.0)), now, float(document.get("pause", 0.0)))
            document["next"] = first + count * interval
            return document, Slots(first, interval, count)

        return self.state.update(self.key, change)

    def throttled(self, wait: float | None) -> None:
        """A 429: halve the shared rate, and with `Retry-After` hold every slot until then."""
        now = self._clock()

        def change(document: Document | None) -> tuple[Document, None]:
            document = dict(document or {})
            document["scale"] = max(MIN_SCALE, _scale(document, now) / 2)
            document["scaled_at"] = now
            if wait:
                document["pause"] = max(float(document.get("pause", 0.0)), now + wait)
                document["next"] = max(float(document.get("next", 0.0)), now + wait)
            return document, None

        self.state.update(self.key, change)

    # ---------------------------------------------------------- concurrency

    def lease(self, wanted: int, in_flight: int) -> int:
        """Renew this holder's lease and return the permits it now holds.

        It asks for `wanted` (0: it is done) and holds at least `in_flight`,
        the requests it has running, whatever its fair share.
        """
        now = self._clock()
        cap, holder = self.cap, self.holder

        def change(document: Document | None) -> tuple[Document, int]:
            document = dict(document or {})
            holders: dict[str, Any] = {
                name: lease
                for name, lease in dict(document.get("holders", {})).items()
                if float(lease["seen"]) > now - LEASE_SECONDS and name != holder
            }
            others = sum(int(lease["held"]) for lease in holders.values())
            wanting = sorted([*[n for n, lease in holders.items() if lease["wants"]], holder])
            share = cap // len(wanting) + (1 if wanting.index(holder) < cap % len(wanting) else 0)
            held = max(in_flight, min(wanted, max(share, 1), max(cap - others, 0)))
            if wanted or in_flight:
                holders[holder] = {"held": held, "wants": wanted, "seen": now}
            document["holders"] = holders
            return document, held

        with self._lock:
            return self.state.update(f"{self.key}:leases", change)

    def release(self) -> None:
        """Give back every permit of this holder (it sends nothing more)."""
        self.lease(0, 0)


def _scale(document: Document, now: float) -> float:
    """The fraction of the configured rate in use now, 429s and recovery counted."""
    scale = float(document.get("scale", 1.0))
    if scale >= 1.0:
        return 1.0
    since = now - float(document.get("scaled_at", now))
    return min(1.0, scale * 2 ** (since / RECOVERY_SECONDS))
