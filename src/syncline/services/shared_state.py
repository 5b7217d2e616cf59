"""Where the state shared by every process using a connection lives (its rate budget).

With Celery over Redis, every worker already reaches that Redis: the state
goes there (`execution.redis_state`), sparing the metadata store the
budget's many small writes. Otherwise (the local executor, or Celery over
RabbitMQ) it goes to the metadata store (`store.shared_state`), which every
process reaches anyway.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from syncline.connectors.delivery.shared import SharedState
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.shared_state import StoreState

_REDIS_SCHEMES = frozenset({"redis", "rediss"})

_states: dict[object, SharedState] = {}
_states_lock = threading.Lock()


def shared_state(settings: Settings, store: Store) -> SharedState:
    """The shared state of this process for `settings` and `store`.

    Redis (`settings.broker_url`) when `settings.executor` is `celery` over a
    `redis://` or `rediss://` broker; else the metadata store `store`. One
    instance per backend and process, so its connections are reused.
    Nothing is connected here: an unreachable backend raises `ConnectorError`
    at the first update.
    """
    broker = settings.broker_url or ""
    on_redis = settings.executor == "celery" and urlsplit(broker).scheme.lower() in _REDIS_SCHEMES
    # Keyed by the broker URL, or by the store object itself (not its URL):
    # a store another instance replaced is not the one to keep using.
    key: object = ("redis", broker) if on_redis else store
    with _states_lock:
        state = _states.get(key)
        if state is None:
            state = _make(broker) if on_redis else StoreState(store)
            _states[key] = state
        return state


def _make(broker: str) -> SharedState:
    from syncline.execution.redis_state import RedisState

    return RedisState.from_url(broker)
