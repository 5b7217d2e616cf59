"""The diff's aggregates stay within DuckDB's memory limit on a million records.

Fed straight from a UNION ALL of the model, the state and a journal,
DuckDB's hash aggregate did not spill: both queries here ran out of 64 MB
(and the new state out of 128 MB); `Diff` writes the union to one file
first. DuckDB builds the records here (no source, no writer), so the test
isolates the queries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from syncline.engine.diff import Diff
from syncline.engine.duck import connect, literal
from syncline.engine.mapping import HASH, KEY, KEY_HIGH, KEY_LOW
from syncline.engine.pick import SEQ
from syncline.engine.state import logged_sql

RECORDS = 1_000_000
CHANGED = RECORDS // 100
"""Every hundredth record's hash differs between the model and the state."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A spilled model, a stored state of its keys, and a journal confirming the changes."""
    folder = tmp_path_factory.mktemp("diff")
    paths = {name: folder / f"{name}.parquet" for name in ("model", "state", "journal")}
    keys = "hash(i)::UBIGINT AS key_high, hash(i + 7919)::UBIGINT AS key_low"
    changed = "hash(i * 3 + CASE WHEN i % 100 = 0 THEN 1 ELSE 0 END)::UBIGINT"
    with duckdb.connect() as build:
        build.execute(
            f'COPY (SELECT i::VARCHAR AS "{KEY}", hash(i)::UBIGINT AS "{KEY_HIGH}", '
            f'hash(i + 7919)::UBIGINT AS "{KEY_LOW}", {changed} AS "{HASH}", '
            f'i::BIGINT AS "{SEQ}" FROM range({RECORDS}) r(i)) '
            f"TO {literal(str(paths['model']))} (FORMAT parquet)"
        )
        build.execute(
            f"COPY (SELECT {keys}, hash(i * 3)::UBIGINT AS hash FROM range({RECORDS}) r(i)) "
            f"TO {literal(str(paths['state']))} (FORMAT parquet)"
        )
        build.execute(
            f"COPY (SELECT {keys}, {changed} AS hash, 1::BIGINT AS logged_ns "
            f"FROM range({RECORDS}) r(i) WHERE i % 100 = 0) "
            f"TO {literal(str(paths['journal']))} (FORMAT parquet)"
        )
    return paths


def _diff(files: dict[str, Path], run_dir: Path) -> tuple[duckdb.DuckDBPyConnection, Diff]:
    run_dir.mkdir()
    model = run_dir / "model.parquet"
    model.symlink_to(files["model"])
    connection = connect(run_dir / "duckdb", "64MB")
    old_state = (
        "SELECT key_high, key_low, hash, 0::BIGINT AS rank "
        f"FROM read_parquet({literal(str(files['state']))})"
    )
    return connection, Diff(connection, model, old_state)


def test_the_changed_records_are_found_within_64_mb(files: dict[str, Path], tmp_path: Path) -> None:
    connection, diff = _diff(files, tmp_path / "run")
    with connection:
        picked = list(diff.records(changed_only=True, distinct=True, keys=None, batch_size=10_000))
    sequence = [n for batch in picked for n in batch.column(SEQ).to_pylist()]
    assert sequence == list(range(0, RECORDS, 100))


def test_the_new_state_is_written_within_64_mb(files: dict[str, Path], tmp_path: Path) -> None:
    connection, diff = _diff(files, tmp_path / "run")
    with connection:
        confirmed = logged_sql([str(files["journal"])])
        new_state = diff.new_state_sql(confirmed, keep_unconfirmed=True)
        # The state now holds the model's hashes: nothing differs any more.
        differing = connection.execute(
            f"SELECT count(*), count(*) FILTER (WHERE s.hash <> m.{HASH}) FROM ({new_state}) s "
            f"JOIN read_parquet({literal(str(files['model']))}) m "
            f'ON s.key_high = m."{KEY_HIGH}" AND s.key_low = m."{KEY_LOW}"'
        ).fetchone()
    assert differing == (RECORDS, 0)
    assert CHANGED == 10_000
