"""A crash between a writer's commit and the engine's journal entry loses and repeats nothing.

The crash is simulated where it hurts: the writer committed batch N, and
the process dies before `OutcomeLog.append` journals it (`crash_before_journal`).
With a target whose writers mark their commits, the next run recovers the
entry from the markers before it uses the state; without markers the batch
is sent again, which for an append means duplicates.

These run on the in-memory target; `test_crash_after_commit.py` runs the same
scenario against PostgreSQL, MariaDB, SQLite and files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.engine import spill
from syncline.engine.spill import OutcomeLog
from tests.engine.memory import MemorySource, MemoryTarget, RecordingHooks
from tests.engine.support import PEOPLE, counts, make_spec, people, person, sync, with_options


class Crash(BaseException):
    """The process dying: nothing in the engine catches it."""


@contextmanager
def crash_before_journal(monkeypatch: pytest.MonkeyPatch, batch: int) -> Iterator[None]:
    """Make the process die just before it journals `batch` (1-based), after its commit."""
    calls = {"n": 0}
    original = OutcomeLog.append

    def append(self: OutcomeLog, *arrays: object) -> None:
        calls["n"] += 1
        if calls["n"] == batch:
            raise Crash
        original(self, *arrays)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(spill.OutcomeLog, "append", append)
        with pytest.raises(Crash):
            yield


def test_an_append_crashed_after_a_commit_is_not_appended_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget(marks=True)
    with crash_before_journal(monkeypatch, batch=3):
        sync(spec, source, target)
    assert len(target.rows) == 30  # batch 3 committed, its journal entry is missing
    journal = sorted(path.name for path in (tmp_path / "journal").rglob("0*"))
    assert "00000002.intent" in journal
    assert "00000002.parquet" not in journal

    recovery = make_spec(tmp_path, SyncMode.APPEND, identity=False, batch_size=10)
    recovery = with_options(recovery)
    result, hooks = sync(recovery, source, target)
    assert result == counts(total=20, insert=20)
    assert Counter(row["id"] for row in target.rows) == Counter(range(1, 51))
    assert any("recovered 10 records" in message for _, message in hooks.logs)
    assert sync(recovery, source, target)[0] == counts()


def test_the_same_execution_run_again_recovers_its_own_crashed_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A redelivered task runs the same execution again: same id, batch numbers from 0.
    spec = make_spec(tmp_path, SyncMode.APPEND, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget(marks=True)
    with crash_before_journal(monkeypatch, batch=2):
        sync(spec, source, target)
    with crash_before_journal(monkeypatch, batch=2):
        sync(spec, source, target)
    assert sync(spec, source, target)[0] == counts(total=10, insert=10)
    assert Counter(row["id"] for row in target.rows) == Counter(range(1, 51))


def test_without_markers_the_crashed_batch_is_appended_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget()
    with crash_before_journal(monkeypatch, batch=3):
        sync(spec, source, target)
    sync(spec, source, target)
    duplicated = [key for key, seen in Counter(r["id"] for r in target.rows).items() if seen > 1]
    assert sorted(duplicated) == list(range(21, 31))


def test_a_batch_that_never_committed_is_sent_once(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND, identity=False, batch_size=10)
    source = MemorySource(PEOPLE, people(*range(1, 51)))
    target = MemoryTarget(marks=True, fail_on_write=3)  # the intent is made, the write fails
    with pytest.raises(Exception, match="connection to the target was lost"):
        sync(spec, source, target)
    target.fail_on_write = None
    assert sync(spec, source, target)[0] == counts(total=30, insert=30)
    assert Counter(row["id"] for row in target.rows) == Counter(range(1, 51))


def test_recovery_journals_only_what_the_target_confirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An update whose batch holds a record with no match: NOT_FOUND is not confirmed,
    # so it is tried (and warned about) again; the updated records are not sent again.
    source = MemorySource(PEOPLE, people(1, 2, 3, 4))
    target = MemoryTarget(rows=[person(1, "old"), person(3, "old")], marks=True)
    spec = make_spec(tmp_path, SyncMode.UPDATE, batch_size=4)
    with crash_before_journal(monkeypatch, batch=1):
        sync(spec, source, target)
    assert [row["name"] for row in target.rows] == ["p1", "p3"]
    result, hooks = sync(spec, source, target)
    assert result == counts(total=2, warnings=2)
    assert sorted(hooks.kinds("warnings")) == ["2", "4"]


def test_a_crashed_snapshot_is_finished_under_its_own_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, SyncMode.SNAPSHOT, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget(marks=True)
    with crash_before_journal(monkeypatch, batch=3):
        sync(spec, source, target)
    first = target.rows[0]["_syncline_snapshot_at"]

    later = make_spec(
        tmp_path,
        SyncMode.SNAPSHOT,
        identity=False,
        batch_size=10,
        execution_id="execution-2",
        started_at=first.replace(year=first.year + 1),
    )
    assert sync(later, source, target)[0] == counts(total=20, insert=20)
    assert {row["_syncline_snapshot_at"] for row in target.rows} == {first}
    assert Counter(row["id"] for row in target.rows) == Counter(range(1, 51))

    # Finished: the next run takes a snapshot of its own.
    assert sync(later, source, target)[0] == counts(total=50, insert=50)
    stamps = Counter(row["_syncline_snapshot_at"] for row in target.rows)
    assert sorted(stamps.values()) == [50, 50]


def test_a_snapshot_whose_state_was_committed_is_finished_even_if_the_run_died_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, SyncMode.SNAPSHOT, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget(marks=True)

    def settle(self: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr("syncline.engine.state.StateStore.settle", settle)
        with pytest.raises(Crash):
            sync(spec, source, target)  # the state is committed, the run dies right after
    assert (tmp_path / "snapshot.json").exists()

    later = make_spec(
        tmp_path,
        SyncMode.SNAPSHOT,
        identity=False,
        batch_size=10,
        started_at=spec.started_at.replace(year=2030) if spec.started_at else None,
    )
    assert sync(later, source, target)[0] == counts(total=50, insert=50)
    stamps = Counter(row["_syncline_snapshot_at"] for row in target.rows)
    assert sorted(stamps.values()) == [50, 50]


def test_a_snapshot_left_unfinished_by_a_sync_since_changed_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path, SyncMode.SNAPSHOT, identity=False, batch_size=10)
    source, target = MemorySource(PEOPLE, people(*range(1, 51))), MemoryTarget(marks=True)
    with crash_before_journal(monkeypatch, batch=3):
        sync(spec, source, target)
    changed = make_spec(
        tmp_path,
        SyncMode.SNAPSHOT,
        identity=False,
        batch_size=10,
        mappings=spec.mappings[:2],
        started_at=spec.started_at.replace(year=2030) if spec.started_at else None,
    )
    result, hooks = sync(changed, source, target)
    assert result == counts(total=50, insert=50)
    assert any("was not finished, and the sync has changed" in m for _, m in hooks.logs)


def test_a_run_limited_to_some_identities_marks_nothing(tmp_path: Path) -> None:
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget(marks=True)
    spec = with_options(make_spec(tmp_path), only_identities=("1",))
    sync(spec, source, target, RecordingHooks())
    assert target.markers == []
    assert not list((tmp_path / "journal").rglob("*.intent"))
