"""Check that the databases the tests use are reachable and accept the test login.

Usage: check_services.py [--wait SECONDS] [postgresql] [mariadb]

Reads the same environment variables as tests/conftest.py. Prints the names
of the services that are not usable on stdout (space-separated, for
scripts/provision_services.sh) and why on stderr; exits 1 if any is not
usable. With --wait, retries until all are usable or SECONDS have passed.
Runs with the project's venv Python (needs psycopg and pymysql).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """One database server the tests log in to."""

    name: str
    label: str
    host: str
    port: int
    user: str
    database: str
    login: Callable[[Service], None]

    def describe(self) -> str:
        return (
            f"{self.label} at {self.host}:{self.port} (user {self.user}, database {self.database})"
        )


def login_postgresql(service: Service) -> None:
    import psycopg

    with psycopg.connect(
        host=service.host,
        port=service.port,
        user=service.user,
        dbname=service.database,
        connect_timeout=3,
    ) as conn:
        conn.execute("SELECT 1")


def login_mariadb(service: Service) -> None:
    import pymysql

    conn = pymysql.connect(
        host=service.host,
        port=service.port,
        user=service.user,
        password="",
        database=service.database,
        connect_timeout=3,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        conn.close()


def services() -> dict[str, Service]:
    env = os.environ.get
    return {
        "postgresql": Service(
            name="postgresql",
            label="PostgreSQL",
            host=env("SYNCLINE_TEST_PG_HOST", "127.0.0.1"),
            port=int(env("SYNCLINE_TEST_PG_PORT", "5432")),
            user=env("SYNCLINE_TEST_PG_USER", "postgres"),
            database=env("SYNCLINE_TEST_PG_DATABASE", "test"),
            login=login_postgresql,
        ),
        "mariadb": Service(
            name="mariadb",
            label="MariaDB",
            host=env("SYNCLINE_TEST_MYSQL_HOST", "127.0.0.1"),
            port=int(env("SYNCLINE_TEST_MYSQL_PORT", "3306")),
            user=env("SYNCLINE_TEST_MYSQL_USER", "root"),
            database=env("SYNCLINE_TEST_MYSQL_DATABASE", "test"),
            login=login_mariadb,
        ),
    }


def problem(service: Service) -> str | None:
    """Why the tests cannot use `service`, or None when they can."""
    try:
        with socket.create_connection((service.host, service.port), timeout=3):
            pass
    except OSError as exc:
        return f"nothing is listening ({exc})"
    try:
        service.login(service)
    except Exception as exc:  # noqa: BLE001 - any driver error means "not usable"
        return f"login failed: {str(exc).strip()}"
    return None


def main() -> int:
    known = services()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("names", nargs="*", metavar="SERVICE", help=", ".join(known))
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown service {', '.join(unknown)}; known: {', '.join(known)}")
    deadline = time.monotonic() + args.wait
    pending = [known[name] for name in args.names or known]
    while True:
        problems = {service.name: problem(service) for service in pending}
        pending = [service for service in pending if problems[service.name] is not None]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(1)
    for service in pending:
        print(f"{service.describe()}: {problems[service.name]}", file=sys.stderr)
    if pending:
        print(" ".join(service.name for service in pending))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
