"""The cases of `bench/http_delivery.py`: the source table, and how each case sends it.

Shared by the parent (which creates the table and starts every child) and
the children (`http_runs`: a Syncline run, or the httpx floor of a case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"

FIELDS = ("id", "email", "name", "plan", "mrr", "updated_at")
"""The columns of the source table, mapped to target fields of the same names, in order."""

COLUMNS = (
    "id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL, plan text NOT NULL,"
    " mrr numeric(10,2) NOT NULL, updated_at timestamptz NOT NULL"
)
GENERATED = (
    "i",
    "'user' || i || '@example.com'",
    "(ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + i % 8]"
    " || ' ' || (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen',"
    "'Thompson'])[1 + (i / 8) % 8]",
    "(ARRAY['free','starter','pro','enterprise'])[1 + i % 4]",
    "((i * 7919) % 100000) / 100.0",
    "timestamptz '2024-01-01 00:00:00+00' + i * interval '17 seconds'",
)
"""Each column as an expression of `i`: the table is a pure function of its row count."""


def dsn(database: str) -> str:
    """The libpq connection string of the benchmark's database."""
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={database}"


def create_table_sql(table: str, rows: int) -> list[str]:
    """The statements making `table` with `rows` generated rows."""
    return [
        f'CREATE TABLE "{table}" ({COLUMNS})',
        f'INSERT INTO "{table}" SELECT {", ".join(GENERATED)}'
        f" FROM generate_series(1::bigint, {rows}) i",
        f'ANALYZE "{table}"',
    ]


@dataclass(frozen=True)
class Kind:
    """One way of sending the records: a connection type and a sync target configuration."""

    key: str
    title: str
    connection_type: str
    path: str
    """Where the receiver is sent the records (its path, after the receiver's address)."""
    batch_size: int
    """Records per request."""
    target_configuration: dict[str, Any]

    def connection_configuration(self, receiver: str, concurrency: int) -> dict[str, Any]:
        """The destination connection's configuration for a receiver at `receiver`."""
        address = receiver + self.path
        if self.connection_type == "webhook":
            return {"url": address, "concurrency": concurrency}
        return {"base_url": address, "auth_method": "none", "concurrency": concurrency}


def kinds(batch: int) -> dict[str, Kind]:
    """Every case, batches of `batch` records where they batch."""
    return {
        "webhook": Kind(
            "webhook",
            f"webhook, batches of {batch}",
            "webhook",
            "/webhook",
            batch,
            {"batch_size": batch},
        ),
        "http_array": Kind(
            "http_array",
            f"http, JSON arrays of {batch}",
            "http",
            "/contacts/bulk",
            batch,
            {"insert": {"batch": "json_array", "batch_size": batch}},
        ),
        "http_single": Kind(
            "http_single",
            "http, one record per request",
            "http",
            "/contacts",
            1,
            {"insert": {"batch": "none"}},
        ),
    }
