"""Reading an execution's record log a page at a time, for people (the web UI).

The parts (`store.record_logs`) are read by DuckDB, which lines up parts of
different shapes by column name and reads only the rows a page shows; a
search looks for the text inside identities. Values are bound, never
spliced into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from syncline.store.record_logs import KINDS, log_parts

PER_PAGE = 50


@dataclass(frozen=True)
class LoggedRecord:
    """One logged record: its identity, the target's message (errors), its fields as JSON."""

    identity: str | None
    message: str | None
    record: str


@dataclass(frozen=True)
class RecordPage:
    """One page of a kind's records and how many match in all."""

    records: list[LoggedRecord]
    total: int
    page: int
    pages: int


def record_page(
    data_dir: Path, execution_id: str, kind: str, *, search: str = "", page: int = 1
) -> RecordPage:
    """A page (`PER_PAGE`) of one kind's records whose identity contains `search`.

    Raises `ValueError` for a kind that is not one of `KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown record log kind {kind!r}")
    parts = [str(path) for path in log_parts(data_dir, execution_id, kind)]
    if not parts:
        return RecordPage([], 0, 1, 1)
    where, params = "", []
    if search:
        where, params = "WHERE contains(identity, ?)", [search]
    source = "read_parquet(?, union_by_name = true)"
    with duckdb.connect() as connection:
        connection.execute("SET threads = 1")
        total_row = connection.execute(
            f"SELECT count(*) FROM {source} {where}", [parts, *params]
        ).fetchone()
        total = int(total_row[0]) if total_row else 0
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(1, page), pages)
        rows = connection.execute(
            f"SELECT identity, message, to_json(record)::VARCHAR FROM {source} {where} "
            "LIMIT ? OFFSET ?",
            [parts, *params, PER_PAGE, (page - 1) * PER_PAGE],
        ).fetchall()
    return RecordPage(
        [LoggedRecord(row[0], row[1], str(row[2])) for row in rows], total, page, pages
    )
