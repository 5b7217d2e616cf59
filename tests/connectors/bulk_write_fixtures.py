"""Helpers for the bulk path tests: write the same batches twice, with the
bulk path and without it, and count which loading method a writer used.

Imported explicitly by the `test_bulk_write*` modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncline.connectors.writing import BatchResult, WritePlan
from tests.connectors.sql_writer_fixtures import Db, Table, batch_of


@dataclass
class Run:
    """What one writer did: its results, the table afterwards, and how
    often it loaded an Arrow batch and a list of rows."""

    results: list[BatchResult]
    rows: list[tuple[Any, ...]]
    arrow_loads: int
    row_loads: int


def count_calls(writer: Any, name: str) -> list[int]:
    """Count the calls of one of the writer's own methods (it still runs)."""
    calls: list[int] = []
    original = getattr(writer, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    setattr(writer, name, counted)
    return calls


def write(
    db: Db,
    table: Table,
    plan: WritePlan,
    batches: list[dict[str, list[Any]]],
    *,
    bulk: bool = True,
    columns: str = "*",
    order: str = "id",
) -> Run:
    """Write `batches` with one writer (the bulk path off unless `bulk`)."""
    with db.connector.open_writer(plan) as writer:
        if not bulk:
            writer._bulk = False
        arrow_loads = count_calls(writer, "_load_arrow")
        row_loads = count_calls(writer, "_load")
        results = [writer.write(batch_of(plan, batch)) for batch in batches]
        writer.finish()

    # The twins' messages differ only by their tables' names.
    def same_names(message: str) -> str:
        return re.sub(r"_syncline_stage_[0-9a-f]{8}", "stage", message.replace(table.name, "T"))

    results = [
        BatchResult(r.results, {i: same_names(m) for i, m in r.messages.items()}) for r in results
    ]
    return Run(results, db.rows(table, columns, order), len(arrow_loads), len(row_loads))


def twins(
    db: Db,
    ddl: str,
    rows: str | None,
    make_plan: Callable[[Table], WritePlan],
    batches: list[dict[str, list[Any]]],
    columns: str = "*",
    order: str = "id",
) -> tuple[Run, Run]:
    """The same batches written with the bulk path and without it, each
    into its own new table made by `ddl` and `rows`."""
    runs = []
    for bulk in (True, False):
        table = db.table(ddl, rows)
        plan = make_plan(table)
        runs.append(write(db, table, plan, batches, bulk=bulk, columns=columns, order=order))
    return runs[0], runs[1]


def people(ids: list[int | None], names: list[str | None]) -> dict[str, list[Any]]:
    return {"id": ids, "name": names, "score": [None if i is None else i * 10 for i in ids]}
