"""A connection's rate budget: slots spaced by the rate, 429s, and fair concurrency leases."""

from __future__ import annotations

import itertools

import pytest

from syncline.connectors.delivery.budget import (
    HEADROOM,
    LEASE_SECONDS,
    MIN_SCALE,
    RECOVERY_SECONDS,
    RateBudget,
)
from syncline.connectors.delivery.policy import Backoff, RetrySettings, StatusRules, retry_after
from syncline.connectors.delivery.shared import LocalState


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def budget(state: LocalState, clock: Clock, *, rate: float | None = 10, cap: int = 4) -> RateBudget:
    return RateBudget(state, "conn", rate=rate, cap=cap, clock=clock)


def test_slots_of_every_holder_are_spaced_by_the_rate() -> None:
    state, clock = LocalState(), Clock()
    one, two = budget(state, clock), budget(state, clock)
    starts = []
    for holder in (one, two, one, two):
        slots = holder.reserve(10)
        starts.extend(slots.at(i) for i in range(slots.count))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[0] == clock.now
    assert gaps == pytest.approx([0.1 / HEADROOM] * len(gaps))


def test_without_a_rate_every_slot_is_now() -> None:
    state, clock = LocalState(), Clock()
    slots = budget(state, clock, rate=None).reserve(5)
    assert (slots.first, slots.interval, slots.count) == (clock.now, 0.0, 5)


def test_a_429_halves_the_rate_honours_retry_after_and_recovers() -> None:
    state, clock = LocalState(), Clock()
    holder = budget(state, clock)
    holder.throttled(3.0)
    slots = holder.reserve(1)
    assert slots.first == pytest.approx(clock.now + 3.0)
    assert slots.interval == pytest.approx(0.2 / HEADROOM)
    for _ in range(10):
        holder.throttled(None)
    assert holder.reserve(1).interval == pytest.approx(0.1 / HEADROOM / MIN_SCALE)
    clock.now += RECOVERY_SECONDS * 10
    assert holder.reserve(1).interval == pytest.approx(0.1 / HEADROOM)


def test_leases_share_the_cap_fairly_and_never_exceed_it() -> None:
    state, clock = LocalState(), Clock()
    first, second, third = (budget(state, clock, cap=4) for _ in range(3))
    assert first.lease(4, 0) == 4
    # The cap is taken: a newcomer gets nothing until the first gives back.
    assert second.lease(4, 0) == 0
    # The first has 4 in flight: it keeps them, whatever its share now is.
    assert first.lease(4, 4) == 4
    # With nothing in flight, it drops to its fair share and the others get theirs.
    held = [first.lease(4, 0), second.lease(4, 0), third.lease(4, 0)]
    assert sum(held) <= 4
    held = [first.lease(4, 0), second.lease(4, 0), third.lease(4, 0)]
    assert sorted(held) == [1, 1, 2]


def test_a_holder_that_stops_renewing_loses_its_permits() -> None:
    state, clock = LocalState(), Clock()
    gone, alive = budget(state, clock, cap=2), budget(state, clock, cap=2)
    assert gone.lease(2, 0) == 2
    assert alive.lease(2, 0) == 0
    clock.now += LEASE_SECONDS + 1
    assert alive.lease(2, 0) == 2


def test_release_gives_every_permit_back() -> None:
    state, clock = LocalState(), Clock()
    first, second = budget(state, clock, cap=3), budget(state, clock, cap=3)
    assert first.lease(3, 0) == 3
    first.release()
    assert second.lease(3, 0) == 3


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    from datetime import UTC, datetime

    now = datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC)
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now) == 10
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_backoff_grows_with_jitter_and_never_undercuts_retry_after() -> None:
    backoff = Backoff(RetrySettings(initial_backoff=1, max_backoff=8))
    waits = [backoff.wait(attempt) for attempt in range(1, 7)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert backoff.wait(1, retry_after=20) == 20


def test_status_rules() -> None:
    rules = StatusRules()
    assert rules.is_success(201)
    assert not rules.is_retryable(204)
    assert [rules.is_retryable(s) for s in (408, 429, 500, 503, 400, 404, 422)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    custom = StatusRules(success=frozenset({200, 409}), retryable=frozenset({425}))
    assert custom.is_success(409)
    assert not custom.is_success(201)
    assert custom.is_retryable(425)
    assert not custom.is_retryable(429)
