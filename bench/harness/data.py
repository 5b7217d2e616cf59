"""The generated users table, its 1% changes, the target tables, and result checks.

The source `syncline_bench.users` is a pure function of the row count: every
column is an expression of `id`, instants are UTC. A change touches 1% of the
rows (`mrr` + 1, `updated_at` moved into 2025); `restore_source` puts those
rows back, so every repeat starts from the same table.

Checks: a PostgreSQL target must match the source row for row (count and the
sum of `hashtext` over each row, columns cast to the source's types); a
MariaDB or Parquet target must match a fingerprint (count, sums of the
numbers, instants in microseconds, booleans and text lengths).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql

from harness.common import (
    MYSQL_DATABASE,
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DSN,
    SCHEMA,
    SOURCE_TABLE,
    BenchError,
)

GENERATOR = "syncline bench users v1"
"""Stored as the source table's comment with the row count; a mismatch regenerates."""

SOURCE = f"{SCHEMA}.{SOURCE_TABLE}"

PG_COLUMNS = (
    "id bigint PRIMARY KEY, email text, first_name text, last_name text, company text,"
    " plan text, mrr numeric(10,2), signup_at timestamptz, updated_at timestamptz,"
    " is_active boolean, score double precision, country char(2)"
)
MYSQL_COLUMNS = (
    "id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(255), first_name VARCHAR(255),"
    " last_name VARCHAR(255), company VARCHAR(255), plan VARCHAR(32), mrr DECIMAL(10,2),"
    " signup_at DATETIME(6), updated_at DATETIME(6), is_active BOOLEAN, score DOUBLE,"
    " country CHAR(2)"
)
"""MariaDB has no time zone type: instants are kept as UTC wall time, as Syncline writes them
(TIMESTAMP would end in 2038, before the 10M-row `signup_at` values)."""

MRR = "round((id % 10000) / 7.0, 2)"
UPDATED_AT = "timestamptz '2024-01-01 00:00:00+00' + id * interval '1 second'"
GENERATED = (
    "id",
    "'user' || id || '@example.com'",
    "'First' || (id % 1000)",
    "'Last' || (id % 5000)",
    "'Company ' || (id % 20000)",
    "(ARRAY['free', 'starter', 'pro', 'enterprise'])[1 + id % 4]",
    MRR,
    "timestamptz '2020-01-01 00:00:00+00' + id * interval '1 minute'",
    UPDATED_AT,
    "id % 3 <> 0",
    "((id % 997) / 13.0)::double precision",
    "(ARRAY['US', 'GB', 'DE', 'FR', 'JP'])[1 + id % 5]",
)
"""The value of each column as an expression of `id`."""

CHANGED_SINCE = "timestamptz '2024-12-01 00:00:00+00'"
"""Every changed row has `updated_at` after this; no generated row does (up to 10M rows)."""


@dataclass(frozen=True)
class Change:
    """A 1% change of the source: `mrr` + 1 and a new `updated_at` where `id % 100 = remainder`."""

    name: str
    remainder: int
    updated_at: str
    """`updated_at` of a changed row: this instant plus `id` milliseconds."""
    watermark: str
    """An instant after every `updated_at` before this change and before every one after it."""

    @property
    def predicate(self) -> str:
        """The SQL condition selecting the changed rows."""
        return f"id % 100 = {self.remainder}"

    def rows(self, total: int) -> int:
        """How many of ids 1..`total` this change touches."""
        if self.remainder == 0:
            return total // 100
        return max(0, (total - self.remainder) // 100 + 1)


CHANGE_A = Change("change_a", 0, "2025-01-01 00:00:00+00", "2024-12-01 00:00:00+00")
CHANGE_B = Change("change_b", 50, "2025-07-01 00:00:00+00", "2025-06-01 00:00:00+00")


def pg_connect() -> psycopg.Connection[Any]:
    """An autocommit connection to the benchmark database, in UTC."""
    conn = psycopg.connect(PG_DSN, autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def mysql_connect() -> pymysql.connections.Connection[Any]:
    """An autocommit connection to the MariaDB database, in UTC."""
    return pymysql.connect(
        host=MYSQL_HOST,
        port=MYSQL_PORT,
        user=MYSQL_USER,
        password="",
        database=MYSQL_DATABASE,
        autocommit=True,
        init_command="SET time_zone = '+00:00'",
    )


def ensure_source(rows: int) -> bool:
    """Create the source table with `rows` rows unless it is already there; True if created."""
    marker = f"{GENERATOR} rows={rows}"
    with pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        found = conn.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class')", [SOURCE]
        ).fetchone()
        if found is not None and found[0] == marker:
            return False
        conn.execute(f"DROP TABLE IF EXISTS {SOURCE}")
        conn.execute(f"CREATE TABLE {SOURCE} ({PG_COLUMNS.replace(' PRIMARY KEY', '')})")
        conn.execute(
            f"INSERT INTO {SOURCE} SELECT {', '.join(GENERATED)}"
            f" FROM generate_series(1, {rows}::bigint) AS g(id)"
        )
        conn.execute(f"ALTER TABLE {SOURCE} ADD PRIMARY KEY (id)")
        conn.execute(f"COMMENT ON TABLE {SOURCE} IS '{marker}'")
        conn.execute(f"VACUUM ANALYZE {SOURCE}")
    return True


def restore_source() -> int:
    """Undo every change (the rows whose `updated_at` is past 2024-12-01); how many were."""
    with pg_connect() as conn:
        cursor = conn.execute(
            f"UPDATE {SOURCE} SET mrr = {MRR}, updated_at = {UPDATED_AT}"
            f" WHERE updated_at > {CHANGED_SINCE}"
        )
        restored = cursor.rowcount
        conn.execute(f"VACUUM ANALYZE {SOURCE}")
    return restored


def apply_change(change: Change, total: int) -> int:
    """Apply `change` to the source; `BenchError` unless it touched the expected rows."""
    with pg_connect() as conn:
        cursor = conn.execute(
            f"UPDATE {SOURCE} SET mrr = mrr + 1,"
            f" updated_at = timestamptz '{change.updated_at}' + id * interval '1 millisecond'"
            f" WHERE {change.predicate}"
        )
        changed = cursor.rowcount
    if changed != change.rows(total):
        raise BenchError(f"{change.name} changed {changed} rows, expected {change.rows(total)}")
    return changed


def reset_pg_table(table: str) -> None:
    """(Re)create an empty PostgreSQL table shaped like the source in the bench schema."""
    with pg_connect() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
        conn.execute(f"CREATE TABLE {SCHEMA}.{table} ({PG_COLUMNS})")


def drop_pg_schema(schema: str) -> None:
    """Drop a PostgreSQL schema and everything in it (dlt's dataset)."""
    with pg_connect() as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def reset_mysql_table(table: str) -> None:
    """(Re)create an empty MariaDB table shaped like the source."""
    with mysql_connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
        cursor.execute(
            f"CREATE TABLE `{table}` ({MYSQL_COLUMNS}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        )


def _row_hash(columns: str) -> str:
    return f"coalesce(sum(hashtext(ROW({columns})::text)::bigint), 0)"


_CANONICAL = (
    "id::bigint, email::text, first_name::text, last_name::text, company::text, plan::text,"
    " mrr::numeric(10,2), signup_at::timestamptz, updated_at::timestamptz, is_active::boolean,"
    " score::double precision, country::char(2)"
)
"""The columns cast to the source's types, so a target with other types (dlt's) compares."""


def pg_checksum(table: str) -> tuple[int, int]:
    """Row count and the sum of a hash of every row of a PostgreSQL table."""
    with pg_connect() as conn:
        row = conn.execute(f"SELECT count(*), {_row_hash(_CANONICAL)} FROM {table}").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def check_pg(table: str, expected: tuple[int, int] | None = None) -> None:
    """`BenchError` unless `table` holds exactly the source's rows (count and row hash)."""
    want = expected or pg_checksum(SOURCE)
    got = pg_checksum(table)
    if got != want:
        raise BenchError(
            f"{table} does not match the source: count/hash {got[0]}/{got[1]},"
            f" source {want[0]}/{want[1]}"
        )


_TEXT_LENGTH = "{f}(email) + {f}(first_name) + {f}(last_name) + {f}(company) + {f}(plan)"

PG_FINGERPRINT = (
    "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(mrr), 0),"
    " coalesce(sum((extract(epoch FROM signup_at) * 1000000)::bigint), 0),"
    " coalesce(sum((extract(epoch FROM updated_at) * 1000000)::bigint), 0),"
    " count(*) FILTER (WHERE is_active),"
    f" coalesce(sum({_TEXT_LENGTH.format(f='length')} + length(country)), 0),"
    " coalesce(sum(score), 0) FROM {table}"
)
MYSQL_FINGERPRINT = (
    "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(mrr), 0),"
    " coalesce(sum(unix_timestamp(signup_at) * 1000000), 0),"
    " coalesce(sum(unix_timestamp(updated_at) * 1000000), 0),"
    " coalesce(sum(is_active <> 0), 0),"
    f" coalesce(sum({_TEXT_LENGTH.format(f='char_length')} + char_length(country)), 0),"
    " coalesce(sum(score), 0) FROM `{table}`"
)
DUCKDB_FINGERPRINT = (
    "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(CAST(mrr AS DECIMAL(18, 2))), 0),"
    " coalesce(sum(epoch_us(CAST(signup_at AS TIMESTAMPTZ))), 0),"
    " coalesce(sum(epoch_us(CAST(updated_at AS TIMESTAMPTZ))), 0),"
    " count(*) FILTER (WHERE is_active),"
    f" coalesce(sum({_TEXT_LENGTH.format(f='length')} + length(country)), 0),"
    " coalesce(sum(score), 0) FROM read_parquet('{path}')"
)

FINGERPRINT_NAMES = (
    "count",
    "sum(id)",
    "sum(mrr)",
    "sum(signup_at µs)",
    "sum(updated_at µs)",
    "active",
    "text length",
    "sum(score)",
)


def _normalize(row: tuple[Any, ...] | None) -> tuple[Decimal | float, ...]:
    assert row is not None
    *exact, score = row
    return (*(Decimal(str(value)) for value in exact), float(score))


def pg_fingerprint(table: str) -> tuple[Decimal | float, ...]:
    """The fingerprint of a PostgreSQL table."""
    with pg_connect() as conn:
        return _normalize(conn.execute(PG_FINGERPRINT.format(table=table)).fetchone())


def mysql_fingerprint(table: str) -> tuple[Decimal | float, ...]:
    """The fingerprint of a MariaDB table."""
    with mysql_connect() as conn, conn.cursor() as cursor:
        cursor.execute(MYSQL_FINGERPRINT.format(table=table))
        return _normalize(cursor.fetchone())


def parquet_fingerprint(path: Path) -> tuple[Decimal | float, ...]:
    """The fingerprint of a Parquet file (read with DuckDB)."""
    import duckdb

    with duckdb.connect() as conn:
        escaped = str(path).replace("'", "''")
        return _normalize(conn.execute(DUCKDB_FINGERPRINT.format(path=escaped)).fetchone())


def check_fingerprint(
    what: str, got: tuple[Decimal | float, ...], want: tuple[Decimal | float, ...]
) -> None:
    """`BenchError` naming every part of `got` that differs from `want`.

    Everything compares exactly except the sum of the doubles, which may be
    added up in another order (relative tolerance 1e-9).
    """
    wrong = []
    for name, have, expected in zip(FINGERPRINT_NAMES, got, want, strict=True):
        if isinstance(have, float) and isinstance(expected, float):
            if abs(have - expected) <= 1e-9 * max(1.0, abs(expected)):
                continue
        elif have == expected:
            continue
        wrong.append(f"{name} {have} (source {expected})")
    if wrong:
        raise BenchError(f"{what} does not match the source: " + "; ".join(wrong))
