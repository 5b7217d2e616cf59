"""Isolating bad records by bisection.

A batch is applied in one transaction. When the database refuses it because
of a record (a constraint, a value too long, a bad type), the batch is split
in halves, each applied in its own transaction, down to single records: every
good record lands and each bad one is reported with the database's message.
A batch with one bad record in n costs about 2·log2(n) extra transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Refused:
    """A record the database refused, with its explanation."""

    message: str


def isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Sequence[R]],
    record_fault: Callable[[Exception], str],
) -> list[R | Refused]:
    """Apply `items` with `attempt`, bisecting on failure; results in item order.

    `attempt` applies its items in one transaction (rolled back when it
    raises) and returns one result per item. When it raises, `record_fault`
    returns the message to report if the failure is the records' fault, and
    raises otherwise (a failure of the target itself, such as a lost
    connection), which stops the whole batch.
    """
    if not items:
        return []
    try:
        return list(attempt(items))
    except Exception as exc:  # noqa: BLE001 - record_fault decides, raising what it must
        message = record_fault(exc)
    if len(items) == 1:
        return [Refused(message)]
    middle = len(items) // 2
    return [
        *isolate(items[:middle], attempt, record_fault),
        *isolate(items[middle:], attempt, record_fault),
    ]
