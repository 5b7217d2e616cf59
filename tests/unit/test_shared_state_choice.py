"""Which shared state a process uses: Redis when Celery runs over Redis, else the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.execution.redis_state import RedisState
from syncline.services.shared_state import shared_state
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.shared_state import StoreState


@pytest.fixture
def store(tmp_path: Path) -> Store:
    # Never connected: choosing a backend does not touch it.
    return Store(f"sqlite:///{tmp_path / 'meta.db'}")


@pytest.mark.parametrize(
    "broker_url", ["redis://127.0.0.1:6379/0", "rediss://:secret@redis.example:6380/2"]
)
def test_celery_over_redis_shares_state_in_redis(
    tmp_path: Path, store: Store, broker_url: str
) -> None:
    settings = Settings(data_dir=tmp_path, executor="celery", broker_url=broker_url)
    assert isinstance(shared_state(settings, store), RedisState)


@pytest.mark.parametrize(
    ("executor", "broker_url"),
    [
        ("local", None),
        ("local", "redis://127.0.0.1:6379/0"),
        ("celery", "amqp://guest:guest@127.0.0.1:5672//"),
    ],
)
def test_otherwise_state_is_shared_in_the_metadata_store(
    tmp_path: Path, store: Store, executor: str, broker_url: str | None
) -> None:
    settings = Settings(data_dir=tmp_path, executor=executor, broker_url=broker_url)
    assert isinstance(shared_state(settings, store), StoreState)


@pytest.mark.parametrize("executor", ["local", "celery"])
def test_a_process_keeps_one_shared_state(tmp_path: Path, store: Store, executor: str) -> None:
    settings = Settings(data_dir=tmp_path, executor=executor, broker_url="redis://127.0.0.1:6379/3")
    assert shared_state(settings, store) is shared_state(settings, store)
