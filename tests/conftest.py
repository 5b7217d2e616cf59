"""Fixtures shared by every test: where the real databases are."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pymysql
import pytest

from tests.receivers import Receiver

PG_HOST = os.environ.get("SYNCLINE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("SYNCLINE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("SYNCLINE_TEST_PG_USER", "postgres")
PG_DATABASE = os.environ.get("SYNCLINE_TEST_PG_DATABASE", "test")

MYSQL_HOST = os.environ.get("SYNCLINE_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("SYNCLINE_TEST_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("SYNCLINE_TEST_MYSQL_USER", "root")
MYSQL_DATABASE = os.environ.get("SYNCLINE_TEST_MYSQL_DATABASE", "test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests (`tests/ui/`) last, whatever the order asked for.

    Playwright's sync API keeps an asyncio event loop running on the main thread
    from the first browser test to the end of the session, so any later test
    that calls `asyncio.run` (the HTTP destinations, the receivers) would fail.
    """
    items.sort(key=lambda item: item.nodeid.startswith("tests/ui/"))


@pytest.fixture(scope="session")
def pg_config() -> dict[str, object]:
    """A `postgresql` connection configuration for the test server."""
    return {
        "hostname": PG_HOST,
        "port": PG_PORT,
        "database": PG_DATABASE,
        "username": PG_USER,
        "password": "",
        "ssl": False,
    }


@pytest.fixture(scope="session")
def mysql_config() -> dict[str, object]:
    """A `mysql` connection configuration for the test server."""
    return {
        "hostname": MYSQL_HOST,
        "port": MYSQL_PORT,
        "dbname": MYSQL_DATABASE,
        "account": MYSQL_USER,
        "passwd": "",
    }


PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"


@contextmanager
def temporary_pg_schema(prefix: str, *statements: str) -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards.

    Each statement runs with `{schema}` replaced by the (quoted) schema name.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
        for statement in statements:
            conn.execute(statement.replace("{schema}", f'"{name}"'))
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextmanager
def temporary_maria_database(prefix: str, *statements: str) -> Iterator[str]:
    """A fresh MariaDB database, dropped afterwards.

    Each statement runs with `{database}` replaced by the (quoted) database name.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            for statement in statements:
                cur.execute(statement.replace("{database}", f"`{name}`"))
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def maria(database: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` returns in the MariaDB `database` (autocommit)."""
    conn = pymysql.connect(
        host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, database=database, autocommit=True
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started HTTP receiver on 127.0.0.1 (tests/receivers.py), stopped after the test."""
    with Receiver() as started:
        yield started


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """A factory of started receivers (`receivers(**options)`), all stopped after the test."""
    started: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        started.append(Receiver(**options).start())
        return started[-1]

    try:
        yield make
    finally:
        for each in started:
            each.stop()
