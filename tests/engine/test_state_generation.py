"""State generations: a run goes on only from the state the metadata store recorded.

Each test keeps the store's record of one sync's state the way the runner
does (`Record`: what `state_marked` reported last) and runs the engine on one
or more state directories, each standing for a machine's data dir.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.canonical import VERSION as HASH_VERSION
from syncline.engine.generation import MARK_FILE, StateMissing
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, RunOptions, StateCheck, StateMark
from syncline.errors import ConnectorError, SynclineError
from tests.engine.memory import MemorySource, MemoryTarget, RecordingHooks
from tests.engine.support import PEOPLE, counts, make_spec, people, person, target_row

REMEDY = "SYNCLINE_DATA_DIR must be shared."


@dataclass
class Record:
    """The metadata store's record of the sync's state."""

    stored: StateMark | None = None
    unrecorded: bool = False

    def check(self) -> StateCheck:
        return StateCheck(stored=self.stored, unrecorded=self.unrecorded, remedy=REMEDY)


@dataclass
class Hooks(RecordingHooks):
    """Hooks that record every state mark in `record`; from the `refuse_from`-th mark
    (0-based) on they refuse, as the store does for a run that lost its slot."""

    record: Record = field(default_factory=Record)
    refuse_from: int | None = None

    def state_marked(self, mark: StateMark) -> None:
        if self.refuse_from is not None and len(self.marks) >= self.refuse_from:
            raise SynclineError("this execution no longer holds its sync's run slot")
        super().state_marked(mark)
        self.record.stored, self.record.unrecorded = mark, False


def run(
    state_dir: Path,
    execution: str,
    record: Record,
    source: MemorySource,
    target: MemoryTarget,
    *,
    resync: bool = False,
    refuse_from: int | None = None,
) -> tuple[Counts, Hooks]:
    """One append run of execution `execution` on `state_dir`, checked against `record`."""
    spec = make_spec(
        state_dir,
        SyncMode.APPEND,
        execution_id=execution,
        state_check=record.check(),
        options=RunOptions(resync=resync),
    )
    hooks = Hooks(record=record, refuse_from=refuse_from)
    return run_sync(spec, source, target, hooks), hooks


def mark_in(state_dir: Path) -> dict[str, object]:
    return dict(json.loads((state_dir / MARK_FILE).read_text()))


def test_a_first_run_records_generation_1(tmp_path: Path) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()

    result, hooks = run(tmp_path, "e1", record, source, target)

    assert result == counts(total=3, insert=3)
    # Generation 0 is recorded before anything is sent, generation 1 once the run completed.
    assert hooks.marks == [StateMark(0, "e1", HASH_VERSION), StateMark(1, "e1", HASH_VERSION)]
    assert record.stored == StateMark(1, "e1", HASH_VERSION)
    assert mark_in(tmp_path) == {
        "generation": 1,
        "execution_id": "e1",
        "hash_version": HASH_VERSION,
        "parent": "e1",
    }


def test_a_run_on_a_data_dir_without_the_recorded_state_fails_and_sends_nothing(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2, 3, 4, 5)), MemoryTarget()
    run(tmp_path / "a", "e1", record, source, target)
    elsewhere = tmp_path / "b" / "state" / "sync-1"

    with pytest.raises(StateMissing) as missing:
        run(elsewhere, "e2", record, source, target)

    message = missing.value.message
    assert f"this sync's state generation 1 (left by execution e1) is not in {elsewhere}" in message
    assert "there is no such directory. Nothing was sent." in message
    assert message.endswith(REMEDY)
    assert target.rows == [target_row(n) for n in (1, 2, 3, 4, 5)]
    assert target.writes == 3
    assert not elsewhere.exists()
    assert record.stored == StateMark(1, "e1", HASH_VERSION)


def test_an_empty_state_directory_is_no_state(tmp_path: Path) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    run(tmp_path / "a", "e1", record, source, target)
    (tmp_path / "b").mkdir()

    with pytest.raises(StateMissing, match=r"is not in .*/b: it holds no state"):
        run(tmp_path / "b", "e2", record, source, target)
    assert target.rows == [target_row(1), target_row(2)]


def test_an_older_generation_of_the_state_fails_the_run(tmp_path: Path) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    current, old_copy = tmp_path / "current", tmp_path / "old"
    run(current, "e1", record, source, target)
    shutil.copytree(current, old_copy)
    source.rows = people(1, 2, 3)
    run(current, "e2", record, source, target)

    with pytest.raises(StateMissing) as missing:
        run(old_copy, "e3", record, source, target)

    assert "state generation 2 (left by execution e2) is not in" in missing.value.message
    assert "it holds generation 1 (left by execution e1)" in missing.value.message
    assert target.rows == [target_row(n) for n in (1, 2, 3)]


def test_a_state_of_the_recorded_generation_made_by_another_run_is_not_taken_for_it(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    one, other = tmp_path / "one", tmp_path / "other"
    run(one, "e1", record, source, target)
    shutil.copytree(one, other)
    source.rows = people(1, 2, 3)
    run(one, "e2", record, source, target)  # the store: generation 2, by e2
    recorded = record.stored
    run(other, "e3", Record(StateMark(1, "e1", HASH_VERSION)), source, MemoryTarget())
    assert mark_in(other)["generation"] == 2  # generation 2 too, but made by e3

    with pytest.raises(StateMissing, match=r"it holds generation 2 \(left by execution e3\)"):
        run(other, "e4", Record(recorded), source, target)


def test_a_resync_starts_a_new_generation_from_nothing_and_the_runs_after_it_go_on(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    lost, fresh = tmp_path / "lost", tmp_path / "fresh"
    run(lost, "e1", record, source, target)

    result, hooks = run(fresh, "e2", record, source, target, resync=True)

    # A resync sends every record: in append mode they are appended again, as asked.
    assert result == counts(total=3, insert=3)
    assert hooks.marks == [StateMark(2, "e2", HASH_VERSION), StateMark(3, "e2", HASH_VERSION)]
    assert any("the resync starts generation 2 from nothing" in m for _, m in hooks.logs)
    assert mark_in(fresh)["parent"] == "e2"
    source.rows = people(1, 2, 3, 4)
    assert run(fresh, "e3", record, source, target)[0] == counts(total=1, insert=1)
    assert record.stored == StateMark(4, "e3", HASH_VERSION)
    with pytest.raises(StateMissing, match="it holds generation 1"):
        run(lost, "e4", record, source, target)


def test_a_resync_on_the_recorded_state_goes_on_from_it(tmp_path: Path) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    run(tmp_path, "e1", record, source, target)

    result, hooks = run(tmp_path, "e2", record, source, target, resync=True)

    assert result == counts(total=2, insert=2)
    assert hooks.marks == [StateMark(1, "e1", HASH_VERSION), StateMark(2, "e2", HASH_VERSION)]


def test_a_crashed_first_run_is_completed_by_the_next_run_on_the_same_machine(
    tmp_path: Path,
) -> None:
    record = Record()
    source, target = MemorySource(PEOPLE, people(1, 2, 3, 4, 5)), MemoryTarget(fail_on_write=2)
    with pytest.raises(ConnectorError):
        run(tmp_path, "e1", record, source, target)
    assert record.stored == StateMark(0, "e1", HASH_VERSION)
    assert target.rows == [target_row(1), target_row(2)]

    result, hooks = run(tmp_path, "e2", record, source, target)

    assert result == counts(total=3, insert=3)
    assert target.rows == [target_row(n) for n in (1, 2, 3, 4, 5)]
    assert hooks.marks == [StateMark(0, "e1", HASH_VERSION), StateMark(1, "e2", HASH_VERSION)]


def test_a_crashed_first_run_s_journal_is_not_mistaken_for_no_state_elsewhere(
    tmp_path: Path,
) -> None:
    record = Record()
    source, target = MemorySource(PEOPLE, people(1, 2, 3, 4, 5)), MemoryTarget(fail_on_write=2)
    with pytest.raises(ConnectorError):
        run(tmp_path / "a", "e1", record, source, target)

    with pytest.raises(StateMissing, match=r"state generation 0 .* there is no such directory"):
        run(tmp_path / "b", "e2", record, source, target)
    assert target.rows == [target_row(1), target_row(2)]


def test_a_state_made_by_a_run_that_stopped_before_recording_it_is_taken_up(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    run(tmp_path, "e1", record, source, target)
    source.rows = people(1, 2, 3)
    # e2 completes, but the store cannot record its state (its second mark).
    with pytest.raises(SynclineError, match="run slot"):
        run(tmp_path, "e2", record, source, target, refuse_from=1)
    assert record.stored == StateMark(1, "e1", HASH_VERSION)
    assert mark_in(tmp_path)["generation"] == 2

    result, hooks = run(tmp_path, "e3", record, source, target)

    assert result == counts()
    assert target.rows == [target_row(n) for n in (1, 2, 3)]
    assert hooks.marks == [StateMark(2, "e2", HASH_VERSION), StateMark(3, "e3", HASH_VERSION)]
    assert any("stopped before recording it; going on from it" in m for _, m in hooks.logs)


def test_a_run_the_store_refuses_sends_nothing_and_its_start_is_forgotten(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    with pytest.raises(SynclineError, match="run slot"):
        run(tmp_path, "e1", record, source, target, refuse_from=0)
    assert target.rows == []
    assert target.plans == []
    assert record.stored is None

    result, _ = run(tmp_path, "e2", record, source, target)

    assert result == counts(total=3, insert=3)
    assert target.rows == [target_row(1), target_row(2), target_row(3)]


def test_a_state_kept_before_generations_were_recorded_is_taken_up(tmp_path: Path) -> None:
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    unchecked = make_spec(tmp_path, SyncMode.APPEND)
    run_sync(unchecked, source, target, RecordingHooks())
    record = Record(unrecorded=True)
    source.rows = [*people(1, 2), person(3)]

    result, hooks = run(tmp_path, "e2", record, source, target)

    assert result == counts(total=1, insert=1)
    assert [(m.generation, m.execution_id) for m in hooks.marks] == [(1, "e2"), (2, "e2")]
    with pytest.raises(StateMissing, match="kept before Syncline recorded state generations"):
        run(tmp_path / "elsewhere", "e3", Record(unrecorded=True), source, target)
    assert target.rows == [target_row(n) for n in (1, 2, 3)]


def test_an_unreadable_generation_fails_the_run_and_a_resync_starts_afresh(
    tmp_path: Path,
) -> None:
    record, source, target = Record(), MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    run(tmp_path, "e1", record, source, target)
    (tmp_path / MARK_FILE).write_text("{")

    with pytest.raises(StateMissing, match="cannot be read"):
        run(tmp_path, "e2", record, source, target)
    assert target.rows == [target_row(1), target_row(2)]

    result, hooks = run(tmp_path, "e3", record, source, target, resync=True)
    assert result == counts(total=2, insert=2)
    assert hooks.marks == [StateMark(2, "e3", HASH_VERSION), StateMark(3, "e3", HASH_VERSION)]
