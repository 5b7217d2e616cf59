"""The shared state backends: the metadata store (SQLite, PostgreSQL) and Redis.

Each backend keeps the `SharedState` contract: a document is created from
None, every update starts from the last one, a failing change writes
nothing, and processes updating one document at once never start from the
same document. An unreachable backend raises `ConnectorError`.
"""

from __future__ import annotations

import multiprocessing
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import make_url

from syncline.connectors.delivery.shared import Document, SharedState
from syncline.errors import ConnectorError
from syncline.execution.redis_state import EXPIRY, KEY_PREFIX, RedisState
from syncline.store.db import Store
from syncline.store.shared_state import StoreState
from tests.conftest import PG_HOST, PG_PORT
from tests.faults import FaultProxy
from tests.store_fixtures import migrated_store
from tests.unit.shared_state_backends import Backend, count_up, increment, open_state

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "redis"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """Each backend, once per module: tests keep apart by using keys of their own."""
    if request.param == "redis":
        yield Backend("redis", REDIS_URL)
        return
    with migrated_store(request.param, tmp_path_factory.mktemp("shared")) as store:
        yield Backend(request.param, store.url)


@pytest.fixture
def key(backend: Backend) -> Iterator[str]:
    """A key no other test uses (it and keys starting with it leave Redis afterwards)."""
    name = f"test:{uuid.uuid4().hex}"
    yield name
    if backend.kind == "redis":
        _forget(name)


@pytest.fixture
def state(backend: Backend) -> SharedState:
    return open_state(backend)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read(state: SharedState, key: str) -> Document | None:
    """The document under `key` (None: none yet, and an empty one is stored then)."""

    def keep(document: Document | None) -> tuple[Document, Document | None]:
        return (document if document is not None else {}), document

    return state.update(key, keep)


# ------------------------------------------------------------ the contract


def test_the_first_update_of_a_key_starts_from_none(state: SharedState, key: str) -> None:
    seen: list[Document | None] = []

    def first(document: Document | None) -> tuple[Document, str]:
        seen.append(document)
        return {"tokens": 5, "at": 1.5, "names": ["a"]}, "stored"

    assert state.update(key, first) == "stored"
    assert seen == [None]
    assert _read(state, key) == {"tokens": 5, "at": 1.5, "names": ["a"]}


def test_each_update_starts_from_the_last_document(state: SharedState, key: str) -> None:
    assert [state.update(key, increment) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert _read(state, key) == {"count": 5}


def test_another_instance_sees_the_same_documents(backend: Backend, key: str) -> None:
    open_state(backend).update(key, increment)
    assert open_state(backend).update(key, increment) == 2


def test_keys_keep_separate_documents(state: SharedState, key: str) -> None:
    other = f"{key}:other"
    state.update(key, increment)
    state.update(key, increment)
    assert state.update(other, increment) == 1
    assert _read(state, key) == {"count": 2}


def test_a_change_that_raises_writes_nothing(state: SharedState, key: str) -> None:
    state.update(key, increment)

    def broken(document: Document | None) -> tuple[Document, None]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        state.update(key, broken)
    assert _read(state, key) == {"count": 1}


def test_a_failed_first_change_leaves_no_document(state: SharedState, key: str) -> None:
    def broken(document: Document | None) -> tuple[Document, None]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        state.update(key, broken)
    assert _read(state, key) is None


def test_processes_updating_at_once_never_start_from_the_same_document(
    backend: Backend, key: str
) -> None:
    processes, times = 4, 40
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results: Any = context.Queue()
    children = [
        context.Process(target=count_up, args=(backend, key, times, start, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=120) for _ in children]
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
    assert [kind for kind, _ in outcomes] == ["counts"] * processes, outcomes
    # Every count from 1 to the total was seen exactly once: no two updates
    # started from the same document, and none was lost.
    seen = sorted(count for _, counts in outcomes for count in counts)
    assert seen == list(range(1, processes * times + 1))
    assert _read(open_state(backend), key) == {"count": processes * times}


# ------------------------------------------------------------ unreachable backends


@pytest.mark.parametrize("kind", ["postgresql", "redis"])
def test_an_unreachable_server_is_a_connector_error_without_its_password(kind: str) -> None:
    port = _closed_port()
    if kind == "redis":
        state: SharedState = RedisState.from_url(f"redis://:hunter2@127.0.0.1:{port}/0")
    else:
        state = StoreState(Store(f"postgresql+psycopg://someone:hunter2@127.0.0.1:{port}/meta"))
    with pytest.raises(ConnectorError) as raised:
        state.update("anything", increment)
    assert f"127.0.0.1:{port}" in raised.value.message
    assert "rate budgets" in raised.value.message
    assert "hunter2" not in raised.value.message
    assert "hunter2" not in str(raised.value)


def test_a_sqlite_store_that_cannot_be_opened_is_a_connector_error(tmp_path: Path) -> None:
    # The database path is a directory: SQLite cannot open it.
    state = StoreState(Store(f"sqlite:///{tmp_path}"))
    with pytest.raises(ConnectorError) as raised:
        state.update("anything", increment)
    assert str(tmp_path) in raised.value.message
    assert "unable to open database file" in raised.value.message


# ------------------------------------------------------------ Redis specifics


@pytest.fixture
def redis_key() -> Iterator[str]:
    name = f"test:{uuid.uuid4().hex}"
    yield name
    _forget(name)


def _forget(name: str) -> None:
    with redis.Redis.from_url(REDIS_URL) as client:
        stale = list(client.scan_iter(match=f"{KEY_PREFIX}{name}*"))
        if stale:
            client.delete(*stale)


def test_redis_keeps_each_document_as_json_under_the_prefix_for_a_day(redis_key: str) -> None:
    RedisState.from_url(REDIS_URL).update(redis_key, increment)
    with redis.Redis.from_url(REDIS_URL) as client:
        assert client.get(KEY_PREFIX + redis_key) == b'{"count":1}'
        ttl = client.ttl(KEY_PREFIX + redis_key)
        # Refreshed on every update: shorten it, update, and it is a day again.
        client.expire(KEY_PREFIX + redis_key, 60)
        RedisState.from_url(REDIS_URL).update(redis_key, increment)
        refreshed = client.ttl(KEY_PREFIX + redis_key)
    day = int(EXPIRY.total_seconds())
    assert day - 60 < ttl <= day
    assert day - 60 < refreshed <= day


def test_redis_reruns_a_change_that_lost_a_race_on_the_new_document(redis_key: str) -> None:
    seen: list[Document | None] = []

    def racing(document: Document | None) -> tuple[Document, int]:
        seen.append(document)
        if len(seen) == 1:
            # Another process writes between this update's read and its write.
            with redis.Redis.from_url(REDIS_URL) as other:
                other.set(KEY_PREFIX + redis_key, '{"count":10}')
        return increment(document)

    assert RedisState.from_url(REDIS_URL).update(redis_key, racing) == 11
    assert seen == [None, {"count": 10}]
    assert _read(RedisState.from_url(REDIS_URL), redis_key) == {"count": 11}


def test_a_write_whose_answer_is_lost_is_reported_not_repeated(redis_key: str) -> None:
    with FaultProxy(REDIS_HOST, REDIS_PORT) as proxy:
        state = RedisState.from_url(f"redis://{proxy.host}:{proxy.port}/0")
        state.update(redis_key, increment)
        proxy.arm("lose_reply", pattern=b"EXEC")
        with pytest.raises(ConnectorError, match="lost the connection to Redis") as raised:
            state.update(redis_key, increment)
        assert proxy.replied.wait(timeout=30)
        proxy.disarm()
        assert f"{proxy.host}:{proxy.port}" in raised.value.message
        # The write landed once (Redis committed it) and was not sent again.
        assert state.update(redis_key, increment) == 3


# ------------------------------------------------------------ store specifics


def test_a_commit_whose_answer_is_lost_is_reported_not_repeated(tmp_path: Path) -> None:
    with (
        migrated_store("postgresql", tmp_path) as store,
        FaultProxy(PG_HOST, PG_PORT) as proxy,
    ):
        proxied = make_url(store.url).set(host=proxy.host, port=proxy.port)
        through_proxy = Store(proxied.render_as_string(hide_password=False))
        state = StoreState(through_proxy)
        try:
            state.update("budget", increment)
            proxy.arm("lose_reply", pattern=b"COMMIT")
            with pytest.raises(ConnectorError, match="cannot use the metadata database"):
                state.update("budget", increment)
            assert proxy.replied.wait(timeout=30)
            proxy.disarm()
            # PostgreSQL committed the change once; it was not made again.
            assert state.update("budget", increment) == 3
        finally:
            through_proxy.dispose()
