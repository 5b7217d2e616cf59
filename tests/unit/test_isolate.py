"""`sql.isolate`: which records are refused, and how many attempts it takes.

A fake target applies a part unless it holds a bad record; a record whose
fault depends on the records applied before it (a unique value) checks
against them. The results must be those of applying the records one at a
time, and the attempts few: the count is what costs round trips.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from syncline.connectors.sql.isolate import Refused, isolate


class Fault(Exception):
    """A record's fault, naming the record."""


class Target:
    """Items are (id, value); ids in `bad` are refused; a value already applied is refused."""

    def __init__(self, bad: set[int]) -> None:
        self.bad = bad
        self.values: set[int] = set()
        self.attempts = 0

    def attempt(self, part: Sequence[tuple[int, int]]) -> list[str]:
        self.attempts += 1
        seen = set(self.values)
        for item, value in part:
            if item in self.bad or value in seen:
                raise Fault(f"record {item} refused")
            seen.add(value)
        self.values = seen
        return ["ok"] * len(part)


def one_at_a_time(items: Sequence[tuple[int, int]], bad: set[int]) -> list[str | Refused]:
    target = Target(bad)
    results: list[str | Refused] = []
    for item in items:
        try:
            results += target.attempt([item])
        except Fault as exc:
            results.append(Refused(str(exc)))
    return results


def fault_message(exc: Exception) -> str:
    if isinstance(exc, Fault):
        return str(exc)
    raise exc


@pytest.mark.parametrize("share", [0.0, 0.001, 0.01, 0.1, 0.5, 1.0])
def test_results_are_those_of_applying_the_records_one_at_a_time(share: float) -> None:
    rng = random.Random(int(share * 1000))
    items = [(i, rng.randrange(5000)) for i in range(2000)]  # some values repeat
    bad = {i for i in range(2000) if rng.random() < share}

    target = Target(bad)
    results = isolate(items, target.attempt, fault_message)

    assert results == one_at_a_time(items, bad)


def test_one_bad_record_in_a_hundred_costs_a_few_attempts_per_bad_record() -> None:
    rng = random.Random(7)
    size = 10_000
    bad = set(rng.sample(range(size), size // 100))
    items = [(i, i) for i in range(size)]

    target = Target(bad)
    results = isolate(items, target.attempt, fault_message)

    assert sum(isinstance(r, Refused) for r in results) == len(bad)
    # Halving down to every bad record takes about 2·log2(size / bad) + 2 per bad record
    # (about 1,500 here); groups sized by the share seen take about log2(100) + 2.
    assert target.attempts <= 10 * len(bad)


def test_a_screen_refuses_what_it_knows_and_the_rest_is_attempted_whole() -> None:
    items = [(i, i) for i in range(100)]
    target = Target(set(range(0, 100, 3)))

    def screen(part: Sequence[tuple[int, int]]) -> dict[int, str]:
        return {n: "screened" for n, (item, _) in enumerate(part) if item % 3 == 0}

    results = isolate(items, target.attempt, fault_message, screen)

    assert results == [Refused("screened") if i % 3 == 0 else "ok" for i in range(100)]
    assert target.attempts == 2  # the whole, then the whole of the rest


def test_a_failure_that_is_not_a_record_s_stops_the_batch() -> None:
    def attempt(part: Sequence[int]) -> list[str]:
        raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        isolate([1, 2, 3], attempt, fault_message)
