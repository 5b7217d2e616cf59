"""Isolating bad records by adaptive group testing.

A batch is applied in one transaction; each attempt at a part of it runs in
a savepoint of that transaction (the caller's `attempt`), so a refused part
is undone alone and the transaction, its single commit and its single
commit marker, carry every part that was applied.

When the whole refuses, the records are decided left to right. A part known
to hold a bad record (it failed, or it is what is left of one that failed
after its first half passed) is halved until its first bad record is found;
that record is always attempted alone, so it is refused with its own
message. Records after it are tried in groups sized from the share of bad
records seen so far (generalized binary splitting): about one group in two
holds a bad record, so one bad record in a hundred costs a handful of
attempts, not 2·log2(n) re-sends of the batch, and a batch where every
record is bad is tried record by record right after the first is found.

Every record is either applied in an attempt that succeeded (after every
earlier record was applied or refused) or refused after failing alone: the
results are those of a record-by-record run, as pure bisection gives.

`screen` (optional) is asked once, after the first failure, for records it
can tell are bad without an attempt (set-wise, exactly); those are refused
with its message and the rest is attempted whole again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Refused:
    """A record the database refused, with its explanation."""

    message: str


Screen = Callable[[Sequence[T]], Mapping[int, str]]
"""Positions (in the given sequence) of records known to be bad, with their messages."""


def isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Sequence[R]],
    record_fault: Callable[[Exception], str],
    screen: Screen[T] | None = None,
    failed: str | None = None,
) -> list[R | Refused]:
    """Apply `items` with `attempt`, isolating bad records; results in item order.

    `attempt` applies its items atomically (undone when it raises) and returns
    one result per item. When it raises, `record_fault` returns the message
    to report if the failure is the records' fault, and raises otherwise (a
    failure of the target itself, such as a lost connection), which stops
    the whole batch. `failed` is the message of an attempt at all of
    `items` that already failed (it is not attempted again).
    """
    out: list[R | Refused | None] = [None] * len(items)
    order = list(range(len(items)))

    def run(lo: int, hi: int) -> str | None:
        """Attempt positions `order[lo:hi]`; None when applied, else the message."""
        part = order[lo:hi]
        try:
            results = attempt([items[p] for p in part])
        except Exception as exc:  # noqa: BLE001 - record_fault decides, raising what it must
            return record_fault(exc)
        for position, result in zip(part, results, strict=True):
            out[position] = result
        return None

    if not items:
        return []
    message = failed if failed is not None else run(0, len(order))
    if message is None:
        return _final(out)
    if screen is not None:
        found = screen(items)
        for position, reason in found.items():
            out[position] = Refused(reason)
        if found:
            order = [p for p in order if p not in found]
            message = run(0, len(order)) if order else None
            if message is None:
                return _final(out)
    _split(order, run, out, message)
    return _final(out)


def _split(
    order: Sequence[int],
    run: Callable[[int, int], str | None],
    out: list[R | Refused | None],
    message: str | None,
) -> None:
    """Decide `order`, the whole of which failed with `message` (see the module docstring)."""
    total = len(order)
    lo, bad = 0, 0
    suspect: int | None = total  # `order[lo:suspect]` holds a bad record; None: unknown
    # `message`: that of the failed attempt at exactly `order[lo:suspect]`, if it was one.
    while lo < total:
        if suspect is None:
            hi = lo + _group(total - lo, bad, lo)
            message = run(lo, hi)
            if message is None:
                lo = hi
                continue
            suspect = hi
        if suspect - lo == 1:
            if message is None:
                message = run(lo, lo + 1)
            if message is not None:
                out[order[lo]] = Refused(message)
                bad += 1
            lo, suspect, message = lo + 1, None, None
            continue
        middle = lo + (suspect - lo) // 2
        failed = run(lo, middle)
        if failed is None:
            lo, message = middle, None  # the second half holds the bad record
        else:
            suspect, message = middle, failed


def _group(remaining: int, bad: int, decided: int) -> int:
    """How many records to attempt together (Hwang's generalized binary splitting).

    `bad` of the `decided` records so far were bad; the same share of the
    `remaining` ones is expected bad. Few bad records: a group about one
    bad record's stretch long (a power of two); many: one at a time.
    """
    expected = max(1.0, remaining * bad / max(decided, 1))
    if remaining <= 2 * expected - 2:
        return 1
    power = int(math.log2((remaining - expected + 1) / expected))
    return max(1, min(remaining, 1 << power))


def _final(out: list[R | Refused | None]) -> list[R | Refused]:
    final = [result for result in out if result is not None]
    assert len(final) == len(out), "every record has a result"
    return final
