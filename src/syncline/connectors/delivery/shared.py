"""Small state shared by every process that uses one connection (its rate budget).

A connection's rate budget must hold across every sync, worker process and
machine using it, so its state lives where they all meet: the metadata
store, or Redis when Celery runs over Redis. The delivery package keeps the
budget's arithmetic (`budget`) and asks a `SharedState` only for one thing:
apply a change to a small JSON document atomically. The service layer picks
the implementation; `LocalState` is the one for a single process (tests,
and connectors used outside a run).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

Document = dict[str, Any]
"""A JSON object: what a shared state keeps under one key."""

Change = Callable[[Document | None], tuple[Document, T]]
"""A change to one key's document: given the current one (None: none yet), the
document to store and what to return. It must be pure: a backend may call it
more than once (an optimistic transaction that lost a race is retried)."""


class SharedState(Protocol):
    """Documents under keys, changed atomically by every process sharing them."""

    def update(self, key: str, change: Change[T]) -> T:
        """Apply `change` to the document under `key` atomically and return what it
        returned. Every process sharing the backend sees one order of updates:
        no two changes ever start from the same document.

        Raises `syncline.errors.ConnectorError` when the backend cannot be reached,
        or its answer to the commit was lost: the change may then have been
        applied (once), so callers must not count on it either way.
        """
        ...


class LocalState:
    """A `SharedState` inside one process (threads share it)."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}
        self._lock = threading.Lock()

    def update(self, key: str, change: Change[T]) -> T:
        with self._lock:
            current = self._documents.get(key)
            document, result = change(copy.deepcopy(current) if current is not None else None)
            self._documents[key] = document
            return result
