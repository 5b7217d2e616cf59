"""Metadata stores for tests: migrated and empty, on SQLite or PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from syncline.store.db import Store
from tests.conftest import PG_HOST, PG_PORT, PG_USER

STORE_BACKENDS = ("sqlite", "postgresql")


@contextmanager
def migrated_store(backend: str, directory: Path) -> Iterator[Store]:
    """A migrated, empty store: a SQLite file in `directory`, or a fresh
    PostgreSQL database (dropped afterwards)."""
    if backend == "sqlite":
        store = Store(f"sqlite:///{directory / 'meta.db'}")
        store.migrate()
        try:
            yield store
        finally:
            store.dispose()
        return
    name = f"syncline_unit_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = Store(f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}")
    try:
        store.migrate()
        yield store
    finally:
        store.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
