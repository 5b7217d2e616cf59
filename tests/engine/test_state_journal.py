"""A run that read the whole model and changed little leaves its journal as the change.

A first run stores its journal's rows as the state without aggregating them:
ranked, so that a key's latest row counts, and below any later journal.

Rewriting the state costs as much as the model whatever changed; the
journal of confirmed records overlaid on the state is the new state as long
as the model lost no key of it. The journals are folded in once they hold
a tenth as many rows as the state (`state.FOLD_RATIO`).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from syncline.engine.state import FOLD_RATIO
from tests.engine.memory import MemorySource, MemoryTarget
from tests.engine.support import (
    PEOPLE,
    by_id,
    counts,
    key_numbers,
    make_spec,
    people,
    person,
    state_of,
    sync,
)

RECORDS = 100


def journal_files(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "journal").rglob("*.parquet"))


def test_few_changes_stay_journaled_until_they_are_worth_folding_in(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, batch_size=50)
    source, target = MemorySource(PEOPLE, people(*range(1, RECORDS + 1))), MemoryTarget()
    sync(spec, source, target)
    state = (tmp_path / "state.parquet").read_bytes()

    source.rows[4] = person(5, "renamed")
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    # One change beside a hundred keys: the journal is the change; the state file stays.
    assert (tmp_path / "state.parquet").read_bytes() == state
    assert len(journal_files(tmp_path)) == 1
    assert sync(spec, source, target)[0] == counts()  # the journal counts as state

    # Enough changes to reach a tenth of the state: this run folds the journals in.
    renamed = RECORDS // FOLD_RATIO
    for number in range(11, 11 + renamed):
        source.rows[number - 1] = person(number, "again")
    assert sync(spec, source, target)[0] == counts(total=renamed, update=renamed)
    assert (tmp_path / "state.parquet").read_bytes() != state
    assert journal_files(tmp_path) == []
    assert sync(spec, source, target)[0] == counts()
    assert by_id(target.rows) == source.rows


def test_a_key_the_model_lost_makes_the_run_rewrite_the_state(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, batch_size=50)
    source, target = MemorySource(PEOPLE, people(*range(1, RECORDS + 1))), MemoryTarget()
    sync(spec, source, target)

    gone = source.rows.pop(9)  # person 10
    source.rows[0] = person(1, "renamed")
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    # The journal alone would keep person 10: the state is rewritten without it.
    assert journal_files(tmp_path) == []
    everyone_else = [str(n) for n in range(1, RECORDS + 1) if n != 10]
    assert set(state_of(tmp_path)) == key_numbers(*everyone_else)

    source.rows.insert(9, gone)
    assert sync(spec, source, target)[0].total == 1  # back in the model: sent again


def test_a_first_run_stores_its_confirmed_rows_as_they_are_ranked_below_any_journal(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path)  # batches of 2: person 1 comes again in the second batch
    source = MemorySource(PEOPLE, [person(1, "b"), person(2), person(1, "a")])
    target = MemoryTarget()
    sync(spec, source, target)

    stored = pq.read_table(tmp_path / "state.parquet")
    # No aggregate: both of person 1's rows are kept, the later one ranking higher.
    assert stored.num_rows == 3
    ranks = stored.column("rank").to_pylist()
    assert max(ranks) == 0
    assert ranks[2] > ranks[0]
    source.rows = [person(1, "a"), person(2)]
    assert sync(spec, source, target)[0] == counts()


def test_a_journal_outranks_a_first_run_s_state_even_after_the_clock_stepped_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, batch_size=50)
    source, target = MemorySource(PEOPLE, people(*range(1, RECORDS + 1))), MemoryTarget()
    sync(spec, source, target)

    # The next run logs its outcomes at a time long before the first run's.
    monkeypatch.setattr("syncline.engine.spill.time", SimpleNamespace(time_ns=lambda: 1_000))
    source.rows[4] = person(5, "renamed")
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    assert len(journal_files(tmp_path)) == 1

    assert sync(spec, source, target)[0] == counts()  # the journal's hash counts
    assert by_id(target.rows) == source.rows


def test_a_state_stored_without_ranks_reads_as_before(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, batch_size=50)
    source, target = MemorySource(PEOPLE, people(*range(1, RECORDS + 1))), MemoryTarget()
    sync(spec, source, target)
    # As an earlier Syncline stored it: one row per key, no rank column.
    path = tmp_path / "state.parquet"
    stored = pq.read_table(path)
    pq.write_table(stored.drop_columns(["rank"]), path)

    assert sync(spec, source, target)[0] == counts()
    source.rows[4] = person(5, "renamed")
    assert sync(spec, source, target)[0] == counts(total=1, update=1)
    assert sync(spec, source, target)[0] == counts()
    assert by_id(target.rows) == source.rows
