"""Shared documents kept in Redis, for every worker fed by one Redis broker.

A `SharedState` (`connectors.delivery.shared`) over Redis: when Celery runs
over Redis, a connection's rate budget lives there rather than in the
metadata store, so the budget's many small updates do not load the store.

One Redis key per document (`syncline:shared:<key>`), holding its JSON. An
update is an optimistic transaction: WATCH the key, read it, apply the change,
and MULTI/SET/EXEC; when another process wrote the key in between, EXEC
does nothing and the update starts over from the new document (which is why
a change must be pure). Every write sets the key to expire a day later, so
the documents of connections no longer used vanish by themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from syncline.errors import ConnectorError

T = TypeVar("T")

KEY_PREFIX = "syncline:shared:"
"""Where the documents' keys live in Redis (beside the broker's own keys)."""

EXPIRY = timedelta(days=1)
"""How long a document outlives its last update."""


class RedisState:
    """A `SharedState` whose documents are Redis keys, changed by WATCH/MULTI/EXEC."""

    def __init__(self, client: redis.Redis, *, where: str) -> None:
        """Use `client`; `where` names the server in messages (no password)."""
        self._client = client
        self._where = where

    @classmethod
    def from_url(cls, url: str) -> RedisState:
        """A state on the Redis server at `url` (`redis://` or `rediss://`, with its db).

        Nothing is connected yet: the first update connects.
        """
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=5.0,
            socket_timeout=10.0,
            # A few quick retries ride out a blip; a server that is down is
            # reported within a second or so, not after redis-py's longer default.
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=3),
        )
        options = client.connection_pool.connection_kwargs
        where = (
            f"{options.get('host', 'localhost')}:{options.get('port', 6379)}/{options.get('db', 0)}"
        )
        return cls(client, where=where)

    def update(
        self, key: str, change: Callable[[dict[str, Any] | None], tuple[dict[str, Any], T]]
    ) -> T:
        """Apply `change` to the document under `key` atomically; return its result.

        `change` may run several times (once per lost race); only the run
        whose write landed counts. An exception it raises propagates
        unchanged, writing nothing. Raises `ConnectorError` (naming the
        server, without its password) when Redis cannot be reached, or when
        the connection dropped while the write was being committed (it may
        or may not have landed, so it is not tried again).
        """
        name = KEY_PREFIX + key
        try:
            with self._client.pipeline() as pipe:
                for _ in range(MAX_ATTEMPTS):
                    committing = False
                    try:
                        pipe.watch(name)  # type: ignore[no-untyped-call]
                        stored = pipe.get(name)
                        document, result = change(
                            json.loads(stored) if stored is not None else None
                        )
                        pipe.multi()
                        pipe.set(name, _dumps(document), ex=EXPIRY)
                        committing = True
                        pipe.execute()
                        return result
                    except WatchError as exc:
                        # redis-py reports a connection lost while watching as a
                        # WatchError too; lost during EXEC, the write may have
                        # landed, and doing it again would apply the change twice.
                        lost = isinstance(exc.__context__, RedisConnectionError | RedisTimeoutError)
                        if committing and lost:
                            raise ConnectorError(
                                f"lost the connection to Redis at {self._where} while updating "
                                f"shared connection state (rate budgets) {key!r}: "
                                f"{exc.__context__}"
                            ) from None
                        # Another process wrote the document first (or the connection
                        # dropped before anything was sent): start again from the
                        # stored version, on a clean pipeline.
                        pipe.reset()
                raise ConnectorError(
                    f"could not update shared connection state (rate budgets) {key!r} in Redis "
                    f"at {self._where} in {MAX_ATTEMPTS} attempts: other processes kept "
                    "changing it first, or the connection kept dropping"
                )
        except RedisError as exc:
            raise ConnectorError(
                f"cannot use Redis at {self._where} to share connection state "
                f"(rate budgets): {_first_line(exc)}"
            ) from None


MAX_ATTEMPTS = 100
"""Tries of one update before giving up (each lost a race, or its connection before the commit)."""


def _first_line(exc: BaseException) -> str:
    said = str(exc).strip()
    return said.splitlines()[0] if said else type(exc).__name__


def _dumps(document: dict[str, Any]) -> str:
    # NaN and infinities are not JSON: refuse them here rather than store text
    # another reader cannot parse.
    return json.dumps(document, separators=(",", ":"), allow_nan=False)
