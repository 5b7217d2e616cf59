"""Opening each `SharedState` backend from a picklable description, and the
work a child process of the contention test does (kept out of the test
module so that a spawned child imports little)."""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from syncline.connectors.delivery.shared import Document, SharedState


@dataclass(frozen=True)
class Backend:
    """A shared-state backend: `kind` (sqlite, postgresql, redis) and its URL."""

    kind: str
    url: str


def open_state(backend: Backend) -> SharedState:
    """A fresh `SharedState` on `backend`, with its own connections."""
    if backend.kind == "redis":
        from syncline.execution.redis_state import RedisState

        return RedisState.from_url(backend.url)
    from syncline.store.db import Store
    from syncline.store.shared_state import StoreState

    return StoreState(Store(backend.url))


def increment(document: Document | None) -> tuple[Document, int]:
    """Add one to the document's counter (0 before the first); return the new count."""
    count = (document or {}).get("count", 0) + 1
    return {"count": count}, count


def count_up(backend: Backend, key: str, times: int, start: Barrier, results: Queue[Any]) -> None:
    """Child process: increment `key` `times` times once every child is ready;
    put the counts seen (or the error) on `results`."""
    try:
        state = open_state(backend)
        start.wait(timeout=120)
        seen = [state.update(key, increment) for _ in range(times)]
    except Exception as exc:  # noqa: BLE001 - any failure goes back to the test
        results.put(("error", repr(exc)))
    else:
        results.put(("counts", seen))
