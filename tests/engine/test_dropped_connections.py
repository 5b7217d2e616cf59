"""A target connection dropped or frozen mid-batch leaves no batch half applied.

The engine writes to PostgreSQL and MariaDB through a `FaultProxy`
(`tests/faults.py`); the source is read directly. Each test breaks the
third batch of an append in a different way:

- the connection is cut in the middle of the batch's COPY / LOAD DATA;
- the connection freezes there, then is cut;
- the server commits the batch but its answer is lost (the client hears a
  reset): the ambiguous commit, which only the commit marker can settle.

The run fails; the target shows whole batches only, never part of one; the
next run (through the same proxy, disarmed) leaves every source row in the
target exactly once.
"""

from __future__ import annotations

import threading
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

ROWS = 3000
BATCH = 500
LOADS = {"postgresql": b"COPY ", "mysql": b"LOAD DATA LOCAL"}
"""What the client sends to start loading a batch, per target."""
COMMITS = {"postgresql": b"COMMIT\x00", "mysql": b"\x03COMMIT"}
"""A COMMIT statement as it travels (PostgreSQL: NUL-terminated; MySQL: a COM_QUERY)."""
WAIT = 30


@pytest.fixture(scope="module")
def source(pg_config: dict[str, Any]) -> Iterator[tuple[PostgresqlConnector, str]]:
    with temporary_pg_schema(
        "drop_src",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text, note text)",
        f"INSERT INTO {{schema}}.people SELECT i, 'p' || i || '@example.com',"
        f" repeat('n', 40) FROM generate_series(1, {ROWS}) i",
    ) as schema:
        yield PostgresqlConnector(PostgresqlConfig.model_validate(pg_config)), f"{schema}.people"


COLUMNS = {
    "postgresql": "(id bigint, email text, note text)",
    "mysql": "(id BIGINT, email TEXT, note TEXT) ENGINE=InnoDB",
}


@pytest.fixture(params=KINDS)
def target(
    request: pytest.FixtureRequest, pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> Iterator[Target]:
    with proxied_table(request.param, pg_config, mysql_config, "drop_t", COLUMNS) as table:
        yield table


def _run(target: Target, source: tuple[PostgresqlConnector, str], state: Path) -> None:
    connector, table = source
    spec = RunSpec(
        sync_id="sync-drop",
        execution_id=uuid.uuid4().hex,
        mode=SyncMode.APPEND,
        source_configuration={"table": table},
        mappings=tuple(FieldMapping(name, source=name) for name in ("id", "email", "note")),
        target_object=target.object_id,
        state_dir=state,
        batch_size=BATCH,
    )
    run_sync(spec, connector, target.connector(), RecordingHooks())


def _recovered_exactly(
    target: Target, source: tuple[PostgresqlConnector, str], state: Path
) -> None:
    target.proxy.disarm()
    _run(target, source, state)
    seen = Counter(target.ids())
    duplicated = sum(count - 1 for count in seen.values())
    assert duplicated == 0, f"{duplicated} rows duplicated"
    assert sorted(seen) == list(range(1, ROWS + 1))


def test_a_connection_cut_mid_batch_leaves_only_whole_batches(
    target: Target, source: tuple[PostgresqlConnector, str], tmp_path: Path
) -> None:
    target.proxy.arm("drop", pattern=LOADS[target.kind], nth=3, after_bytes=2_000)
    with pytest.raises(SynclineError):
        _run(target, source, tmp_path)
    assert target.proxy.fired.is_set()
    assert len(target.ids()) == 2 * BATCH
    _recovered_exactly(target, source, tmp_path)


def test_a_frozen_connection_holds_no_half_batch_and_a_cut_then_fails_the_run(
    target: Target, source: tuple[PostgresqlConnector, str], tmp_path: Path
) -> None:
    target.proxy.arm("freeze", pattern=LOADS[target.kind], nth=3, after_bytes=2_000)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _run(target, source, tmp_path)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert target.proxy.fired.wait(WAIT)
        # Frozen mid-batch: readers see the two batches before it, nothing of it.
        assert len(target.ids()) == 2 * BATCH
    finally:
        target.proxy.drop()
        thread.join(WAIT)
    assert not thread.is_alive()
    assert failure
    assert isinstance(failure[0], SynclineError)
    assert len(target.ids()) == 2 * BATCH
    _recovered_exactly(target, source, tmp_path)


def test_a_commit_whose_answer_is_lost_is_not_written_again(
    target: Target, source: tuple[PostgresqlConnector, str], tmp_path: Path
) -> None:
    target.proxy.arm("lose_reply", pattern=COMMITS[target.kind], nth=3)
    with pytest.raises(SynclineError):
        _run(target, source, tmp_path)
    assert target.proxy.replied.wait(WAIT)
    # The server committed the third batch; the run never heard, so never journaled it.
    assert len(target.ids()) == 3 * BATCH
    _recovered_exactly(target, source, tmp_path)
