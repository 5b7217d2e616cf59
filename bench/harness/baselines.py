"""The floors Syncline is compared with: the databases' own bulk pipes, no merge.

- psql binary COPY pipe: `COPY (...) TO STDOUT (FORMAT binary)` from one psql
  into `COPY ... FROM STDIN (FORMAT binary)` of another.
- MariaDB LOAD DATA pipe: psql `COPY (...) TO STDOUT (FORMAT csv)` into
  `mariadb ... LOAD DATA LOCAL INFILE '/dev/stdin'`.

A full pipe copies the whole source into an empty table with a primary key;
an incremental pipe copies only the changed rows (`updated_at` past the
change's watermark, a sequential scan: the table has no index on it) into an
empty table of the same shape. Both times include starting the clients.
"""

from __future__ import annotations

from harness.common import (
    FIELDS,
    PIPE_DELTA_TABLE,
    PIPE_TABLE,
    SCHEMA,
    BenchError,
    mariadb_command,
    psql_command,
    timed_pipe,
)
from harness.data import (
    SOURCE,
    Change,
    check_fingerprint,
    mysql_fingerprint,
    pg_checksum,
    pg_fingerprint,
    reset_mysql_table,
    reset_pg_table,
)

_CSV_COLUMNS = ", ".join(
    f"({name} AT TIME ZONE 'UTC')"
    if name in ("signup_at", "updated_at")
    else "is_active::int"
    if name == "is_active"
    else name
    for name in FIELDS
)
"""The source's columns as MariaDB's LOAD DATA reads them: UTC wall time, 0/1 booleans."""


def _where(change: Change | None) -> str:
    return f" WHERE updated_at > timestamptz '{change.watermark}'" if change else ""


def copy_pipe(change: Change | None = None) -> float:
    """Seconds for the binary COPY pipe of the whole source, or of `change`'s rows only.

    The result is checked: the whole table must match the source row for row;
    the changed rows must be as many as the change touched.
    """
    table = PIPE_DELTA_TABLE if change else PIPE_TABLE
    reset_pg_table(table)
    seconds = timed_pipe(
        psql_command(f"COPY (SELECT * FROM {SOURCE}{_where(change)}) TO STDOUT (FORMAT binary)"),
        psql_command(f"COPY {SCHEMA}.{table} FROM STDIN (FORMAT binary)"),
    )
    _check_pg(table, change)
    return seconds


def _check_pg(table: str, change: Change | None) -> None:
    if change is None:
        want = pg_checksum(SOURCE)
        if pg_checksum(f"{SCHEMA}.{table}") != want:
            raise BenchError(f"the COPY pipe's {table} does not match the source")
        return
    want_fp = pg_fingerprint(f"(SELECT * FROM {SOURCE}{_where(change)}) AS changed")
    check_fingerprint(f"the COPY pipe's {table}", pg_fingerprint(f"{SCHEMA}.{table}"), want_fp)


def load_data_pipe(change: Change | None = None) -> float:
    """Seconds for the psql CSV → MariaDB LOAD DATA LOCAL pipe (whole source or `change`).

    The MariaDB table is checked against the source's fingerprint.
    """
    table = PIPE_DELTA_TABLE if change else PIPE_TABLE
    reset_mysql_table(table)
    seconds = timed_pipe(
        psql_command(
            f"COPY (SELECT {_CSV_COLUMNS} FROM {SOURCE}{_where(change)}) TO STDOUT (FORMAT csv)"
        ),
        mariadb_command(
            f"LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE `{table}` CHARACTER SET utf8mb4"
            " FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''"
            f" LINES TERMINATED BY '\\n' ({', '.join(FIELDS)})"
        ),
    )
    source = f"(SELECT * FROM {SOURCE}{_where(change)}) AS changed" if change else SOURCE
    check_fingerprint(
        f"the LOAD DATA pipe's {table}", mysql_fingerprint(table), pg_fingerprint(source)
    )
    return seconds
