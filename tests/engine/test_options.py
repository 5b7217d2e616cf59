"""Run options: sync_all_records, resync, skip_initial_backfill and only_identities."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.errors import EngineError
from tests.engine.memory import MemorySource, MemoryTarget
from tests.engine.support import (
    PEOPLE,
    counts,
    key_numbers,
    make_spec,
    people,
    person,
    state_of,
    sync,
    target_row,
    with_options,
)


def test_sync_all_records_sends_unchanged_records_every_run(tmp_path: Path) -> None:
    spec = with_options(make_spec(tmp_path), sync_all_records=True)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts(total=2, insert=2)
    assert sync(spec, source, target)[0] == counts(total=2, update=2)


def test_resync_sends_every_record_despite_the_state(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    sync(spec, source, target)
    target.rows.clear()
    assert sync(spec, source, target)[0] == counts()
    assert sync(with_options(spec, resync=True), source, target)[0] == counts(total=2, insert=2)
    assert target.rows == [target_row(1), target_row(2)]


def test_skip_initial_backfill_records_the_model_and_sends_nothing(tmp_path: Path) -> None:
    spec = with_options(make_spec(tmp_path), skip_initial_backfill=True)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    assert sync(spec, source, target)[0] == counts()
    assert target.plans == []
    assert set(state_of(tmp_path)) == key_numbers("1", "2")
    source.rows = [person(1), person(2, "renamed"), person(3)]
    assert sync(spec, source, target)[0] == counts(total=2, insert=2)
    assert target.rows == [target_row(2, "renamed"), target_row(3)]


def test_skip_initial_backfill_applies_only_to_the_first_run(tmp_path: Path) -> None:
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget()
    sync(make_spec(tmp_path), source, target)
    source.rows = people(1, 2)
    spec = with_options(make_spec(tmp_path), skip_initial_backfill=True)
    assert sync(spec, source, target)[0] == counts(total=1, insert=1)


def test_only_identities_sends_those_records_and_does_not_advance_the_state(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    limited = with_options(spec, only_identities=("2", "3", "99"))
    assert sync(limited, source, target)[0] == counts(total=2, insert=2)
    assert not (tmp_path / "state.parquet").exists()
    assert sync(limited, source, target)[0] == counts(total=2, update=2)
    assert sync(spec, source, target)[0] == counts(total=3, insert=1, update=2)


def test_only_identities_cannot_limit_a_replace(tmp_path: Path) -> None:
    spec = with_options(make_spec(tmp_path, SyncMode.REPLACE), only_identities=("1",))
    target = MemoryTarget(rows=[target_row(5)])
    with pytest.raises(EngineError, match="replace cannot be limited"):
        sync(spec, MemorySource(PEOPLE, people(1)), target)
    assert target.rows == [target_row(5)]


def test_resync_allows_a_replace_to_empty_the_target(tmp_path: Path) -> None:
    spec = with_options(make_spec(tmp_path, SyncMode.REPLACE), resync=True)
    target = MemoryTarget(rows=[target_row(5)])
    assert sync(spec, MemorySource(PEOPLE, []), target)[0] == counts()
    assert target.rows == []
    assert target.plans[0].allow_empty_replace


def test_the_diff_runs_within_the_memory_limit_the_spec_gives(tmp_path: Path) -> None:
    from dataclasses import replace

    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    sync(replace(make_spec(tmp_path), memory_limit="64MB"), source, target)
    source.rows = people(1, 2, 3)
    assert sync(replace(make_spec(tmp_path), memory_limit="64MB"), source, target)[0] == counts(
        total=1, insert=1
    )
    # The limit reaches DuckDB as given: nonsense is refused there.
    with pytest.raises(EngineError, match="Memory must have a number"):
        sync(replace(make_spec(tmp_path), memory_limit="lots"), source, target)
