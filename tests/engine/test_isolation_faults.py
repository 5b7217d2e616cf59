"""A fault while bad records are isolated leaves no batch half applied.

An append of a source where every batch holds records the target's CHECK
constraint refuses runs through a `FaultProxy` (`tests/faults.py`) to
PostgreSQL and MariaDB. Isolation happens inside the batch's transaction,
so:

- a connection cut in the middle of isolating the third batch leaves the
  first two batches' good records and nothing of the third; the next run
  sends exactly the rest;
- when the server commits an isolated batch but its answer is lost, the
  commit marker (one for the batch, naming the good records) lets the next
  run count them as written: nothing is written twice, nothing is lost.

Bad records never land and are rejected again by the next run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import FieldMapping, RunSpec
from syncline.errors import SynclineError
from tests.conftest import (
    temporary_pg_schema,
)
from tests.engine.memory import RecordingHooks
from tests.proxied_tables import KINDS, proxied_table
from tests.proxied_tables import ProxiedTable as Target

ROWS = 2000
BATCH = 400
BAD = frozenset(i for i in range(1, ROWS + 1) if i % 40 == 7)
"""Ids whose `note` the target's CHECK constraint refuses: 10 in every batch."""
GOOD = [i for i in range(1, ROWS + 1) if i not in BAD]
PARTS = {
    "postgresql": b"\x00\x00\x00\x1cSAVEPOINT syncline_part\x00",
    "mysql": b"\x03SAVEPOINT syncline_part",
}
"""An isolation attempt starting (after the batch failed whole and its CHECKs were screened),
as the statement travels, never matching its RELEASE (PostgreSQL: a simple query of 28 bytes;
MySQL: a COM_QUERY)."""
COMMITS = {"postgresql": b"COMMIT\x00", "mysql": b"\x03COMMIT"}
WAIT = 30


@pytest.fixture(scope="module")
def source(pg_config: dict[str, Any]) -> Iterator[tuple[PostgresqlConnector, str]]:
    bad = ", ".join(str(i) for i in sorted(BAD))
    with temporary_pg_schema(
        "iso_src",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, note text)",
        "INSERT INTO {schema}.people SELECT i,"
        f" CASE WHEN i IN ({bad}) THEN 'bad' ELSE 'n' || i END"
        f" FROM generate_series(1, {ROWS}) i",
    ) as schema:
        yield PostgresqlConnector(PostgresqlConfig.model_validate(pg_config)), f"{schema}.people"


COLUMNS = {
    "postgresql": "(id bigint, note text CHECK (note <> 'bad'))",
    "mysql": "(id BIGINT, note TEXT CHECK (note <> 'bad')) ENGINE=InnoDB",
}


@pytest.fixture(params=KINDS)
def target(
    request: pytest.FixtureRequest, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> Iterator[Target]:
    with proxied_table(request.param, pg_config, mysql_config, "iso_t", COLUMNS) as table:
        yield table


def _run(target: Target, source: tuple[PostgresqlConnector, str], state: Path) -> RecordingHooks:
    connector, table = source
    spec = RunSpec(
        sync_id="sync-isolate",
        execution_id=uuid.uuid4().hex,
        mode=SyncMode.APPEND,
        source_configuration={"table": table},
        mappings=tuple(FieldMapping(name, source=name) for name in ("id", "note")),
        target_object=target.object_id,
        state_dir=state,
        batch_size=BATCH,
    )
    hooks = RecordingHooks()
    run_sync(spec, connector, target.connector(), hooks)
    return hooks


def _good_of_batches(count: int) -> list[int]:
    return [i for i in GOOD if i <= count * BATCH]


def _recovered_exactly(
    target: Target, source: tuple[PostgresqlConnector, str], state: Path
) -> None:
    target.proxy.disarm()
    _run(target, source, state)
    seen = Counter(target.ids())
    duplicated = sum(count - 1 for count in seen.values())
    assert duplicated == 0, f"{duplicated} rows duplicated"
    assert sorted(seen) == GOOD


def test_a_connection_cut_while_isolating_leaves_only_whole_batches(
    target: Target, source: tuple[PostgresqlConnector, str], tmp_path: Path
) -> None:
    target.proxy.arm("drop", pattern=PARTS[target.kind], nth=3)
    with pytest.raises(SynclineError):
        _run(target, source, tmp_path)
    assert target.proxy.fired.is_set()
    assert sorted(target.ids()) == _good_of_batches(2)
    _recovered_exactly(target, source, tmp_path)


def test_a_lost_commit_of_an_isolated_batch_is_settled_by_its_marker(
    target: Target, source: tuple[PostgresqlConnector, str], tmp_path: Path
) -> None:
    target.proxy.arm("lose_reply", pattern=COMMITS[target.kind], nth=3)
    with pytest.raises(SynclineError):
        _run(target, source, tmp_path)
    assert target.proxy.replied.wait(WAIT)
    # The server committed the third batch's good records; the run never heard.
    assert sorted(target.ids()) == _good_of_batches(3)
    _recovered_exactly(target, source, tmp_path)
