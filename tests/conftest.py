"""Fixtures shared by every test: where the real databases are."""

from __future__ import annotations

import os

import pytest

PG_HOST = os.environ.get("SYNCLINE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("SYNCLINE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("SYNCLINE_TEST_PG_USER", "postgres")
PG_DATABASE = os.environ.get("SYNCLINE_TEST_PG_DATABASE", "test")

MYSQL_HOST = os.environ.get("SYNCLINE_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("SYNCLINE_TEST_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("SYNCLINE_TEST_MYSQL_USER", "root")
MYSQL_DATABASE = os.environ.get("SYNCLINE_TEST_MYSQL_DATABASE", "test")


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
