"""Tracking columns: after a completed run, only rows changed since are read from the source.

A real PostgreSQL source and a real SQLite target. What the source was asked
for shows in the rows the run read (`RecordingHooks.progress_calls`).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.connectors.sqlite import SqliteConnector
from syncline.connectors.sqlite.config import SqliteConfig
from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunOptions, RunSpec
from tests.conftest import PG_DSN, temporary_pg_schema
from tests.engine.memory import RecordingHooks

ROWS = 200


def pg(sql: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(sql, params)


@dataclass
class Setup:
    schema: str
    target: Path
    spec: RunSpec
    source: PostgresqlConnector

    def run(self, **options: Any) -> tuple[Counts, int, RecordingHooks]:
        """One run; its counts, the rows it read and its hooks."""
        hooks = RecordingHooks()
        spec = replace(self.spec, execution_id=uuid.uuid4().hex, options=RunOptions(**options))
        counts = run_sync(
            spec, self.source, SqliteConnector(SqliteConfig(path=str(self.target))), hooks
        )
        read = hooks.progress_calls[-1][1] if hooks.progress_calls else 0
        return counts, read, hooks

    def target_rows(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.target) as db:
            rows = db.execute("SELECT id, email FROM people ORDER BY id").fetchall()
        db.close()
        return rows

    def source_rows(self) -> list[tuple[Any, ...]]:
        with psycopg.connect(PG_DSN) as conn:
            return conn.execute(
                f'SELECT id, email FROM "{self.schema}".people ORDER BY id'
            ).fetchall()


@pytest.fixture
def setup(tmp_path: Path, pg_config: dict[str, Any]) -> Iterator[Setup]:
    with temporary_pg_schema(
        "tracking",
        "CREATE TABLE {schema}.people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
        "INSERT INTO {schema}.people SELECT n, 'p' || n || '@x.io',"
        f" timestamptz '2024-01-01' + n * interval '1 minute' FROM generate_series(1, {ROWS}) n",
    ) as schema:
        target = tmp_path / "target.db"
        with sqlite3.connect(target) as db:
            db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
        db.close()
        spec = RunSpec(
            sync_id="sync",
            execution_id="first",
            mode=SyncMode.UPDATE_OR_CREATE,
            source_configuration={"table": f"{schema}.people"},
            mappings=(
                FieldMapping(target="id", source="id"),
                FieldMapping(target="email", source="email"),
            ),
            target_object="main.people",
            state_dir=tmp_path / "state",
            identity=(IdentityPair("id", "id"),),
            tracking_columns=("updated_at",),
            batch_size=64,
        )
        source = PostgresqlConnector(PostgresqlConfig.model_validate(pg_config))
        yield Setup(schema, target, spec, source)


def test_later_runs_read_only_rows_changed_since_the_last(setup: Setup) -> None:
    counts, read, _ = setup.run()
    assert (counts.insert, read) == (ROWS, ROWS)

    counts, read, hooks = setup.run()
    assert counts.total == 0
    assert read == 1  # the row at the watermark itself (>=), unchanged, so not sent
    assert any("changed since the last run" in message for _, message in hooks.logs)

    pg(
        f"UPDATE \"{setup.schema}\".people SET email = email || '.new',"
        " updated_at = timestamptz '2025-01-01' WHERE id IN (3, 50, 120)"
    )
    counts, read, _ = setup.run()
    assert (counts.update, read) == (3, 3 + 1)  # and the row at the old mark
    assert setup.target_rows() == setup.source_rows()
    counts, read, _ = setup.run()
    assert (counts.total, read) == (0, 3)  # the three share the new mark


def test_rows_with_a_null_tracking_value_are_read_every_time(setup: Setup) -> None:
    setup.run()
    pg(f"INSERT INTO \"{setup.schema}\".people VALUES (1000, 'late@x.io', NULL)")
    counts, read, _ = setup.run()
    assert (counts.insert, read) == (1, 2)
    counts, read, _ = setup.run()
    assert (counts.total, read) == (0, 2)
    assert setup.target_rows() == setup.source_rows()


def test_the_watermark_waits_for_every_record_to_be_confirmed(setup: Setup) -> None:
    setup.run()
    # Rejected by the target (NOT NULL), and the latest change: the mark must not pass it.
    pg(
        f'UPDATE "{setup.schema}".people SET email = NULL,'
        " updated_at = timestamptz '2025-01-01' WHERE id = 7"
    )
    pg(
        f"UPDATE \"{setup.schema}\".people SET email = 'moved@x.io',"
        " updated_at = timestamptz '2025-02-01' WHERE id = 8"
    )
    counts, read, _ = setup.run()
    assert (counts.update, counts.error, read) == (1, 1, 2 + 1)  # and the row at the mark

    # Fixed without touching updated_at: still read, because the mark stayed put.
    pg(f"UPDATE \"{setup.schema}\".people SET email = 'fixed@x.io' WHERE id = 7")
    counts, read, _ = setup.run()
    assert (counts.update, counts.error) == (1, 0)
    assert read == 2 + 1
    assert setup.target_rows() == setup.source_rows()

    counts, read, _ = setup.run()
    assert (counts.total, read) == (0, 1)


def test_a_resync_or_a_changed_mapping_reads_everything(setup: Setup) -> None:
    setup.run()
    counts, read, _ = setup.run(resync=True)
    assert (counts.update + counts.insert, read) == (ROWS, ROWS)

    setup.spec = replace(
        setup.spec, mappings=(*setup.spec.mappings[:1], FieldMapping(target="email", source="id"))
    )
    counts, read, _ = setup.run()
    assert (counts.update, read) == (ROWS, ROWS)
    counts, read, _ = setup.run()
    assert (counts.total, read) == (0, 1)


def test_a_canceled_run_leaves_the_watermark_where_it_was(setup: Setup) -> None:
    setup.run()
    pg(
        f"UPDATE \"{setup.schema}\".people SET email = email || '.x',"
        " updated_at = timestamptz '2025-01-01' + id * interval '1 second'"
    )
    hooks = RecordingHooks(cancel_after=6)
    spec = replace(setup.spec, execution_id="canceled")
    target = SqliteConnector(SqliteConfig(path=str(setup.target)))
    with pytest.raises(Exception, match="canceled"):
        run_sync(spec, setup.source, target, hooks)

    already = counts_sent_before(setup)

    counts, read, _ = setup.run()
    assert read == ROWS  # from the old mark: every row changed since
    assert counts.update == ROWS - already
    assert setup.target_rows() == setup.source_rows()


def counts_sent_before(setup: Setup) -> int:
    """Rows the canceled run got confirmed: those already equal in the target."""
    source = dict(setup.source_rows())
    return sum(1 for row_id, email in setup.target_rows() if source.get(row_id) == email)


def test_a_run_of_few_changes_keeps_its_journal_and_the_state_folds_it_in_later(
    setup: Setup,
) -> None:
    state_dir = setup.spec.state_dir
    setup.run()
    state = (state_dir / "state.parquet").read_bytes()

    pg(
        f"UPDATE \"{setup.schema}\".people SET email = email || '.a',"
        " updated_at = timestamptz '2025-01-01' WHERE id IN (5, 6)"
    )
    counts, _, _ = setup.run()
    assert counts.update == 2
    # Two changes beside 200 keys: the journal is the change; the state file stays.
    assert (state_dir / "state.parquet").read_bytes() == state
    assert list((state_dir / "journal").rglob("*.parquet"))
    assert setup.run()[0].total == 0  # the journal counts as state

    # Enough changes to pass a tenth of the state: the next commit folds them in.
    pg(
        f"UPDATE \"{setup.schema}\".people SET email = email || '.b',"
        " updated_at = timestamptz '2025-02-01' WHERE id <= 30"
    )
    counts, _, _ = setup.run()
    assert counts.update == 30
    assert (state_dir / "state.parquet").read_bytes() != state
    assert not list((state_dir / "journal").rglob("*.parquet"))
    assert setup.run()[0].total == 0
    assert setup.target_rows() == setup.source_rows()
    assert setup.run(resync=True)[0].update == ROWS  # and a resync still sends everything
