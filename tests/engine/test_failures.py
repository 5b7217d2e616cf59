"""Failures: rejected records, cancellation, crashes, empty replaces and engine errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pydantic import SecretStr

from syncline.connectors.base import SecretField
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import BatchResult, RecordResult, WritePlan, Writer
from syncline.engine.errors import EngineError
from syncline.engine.spec import RunCanceled, RunOptions
from syncline.engine.state import StateStore
from syncline.errors import ConnectorError
from tests.engine.memory import (
    MemoryConfig,
    MemorySource,
    MemoryTarget,
    MemoryWriter,
    RecordingHooks,
)
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
)


def reject_named(name: str) -> Any:
    return lambda record: f"name {name} is not allowed" if record["name"] == name else None


def test_rejected_record_is_reported_and_retried_next_run(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source = MemorySource(PEOPLE, [person(1), person(2, "bad"), person(3)])
    target = MemoryTarget(reject=reject_named("bad"))
    result, hooks = sync(spec, source, target)
    assert result == counts(total=3, insert=2, error=1)
    assert [r for r in hooks.reported if r[0] == "errors"] == [
        ("errors", "2", target_row(2, "bad"), "name bad is not allowed")
    ]
    assert set(state_of(tmp_path)) == key_numbers("1", "3")
    assert sync(spec, source, target)[0] == counts(total=1, error=1)
    target.reject = None
    assert sync(spec, source, target)[0] == counts(total=1, insert=1)
    assert sync(spec, source, target)[0] == counts()


def test_rejected_record_is_not_retried_when_auto_retry_is_off(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, options=RunOptions(retry_rejected=False))
    source = MemorySource(PEOPLE, [person(1), person(2, "bad"), person(3)])
    target = MemoryTarget(reject=reject_named("bad"))
    assert sync(spec, source, target)[0] == counts(total=3, insert=2, error=1)
    assert sync(spec, source, target)[0] == counts()


def test_rejected_change_keeps_the_old_hash(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget()
    sync(spec, source, target)
    before = state_of(tmp_path)
    source.rows = [person(1, "bad")]
    target.reject = reject_named("bad")
    assert sync(spec, source, target)[0] == counts(total=1, error=1)
    assert state_of(tmp_path) == before


def test_empty_identity_is_an_error_record_and_never_written(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source = MemorySource(PEOPLE, [person(1), {"id": None, "name": "x", "age": 1}])
    target = MemoryTarget()
    result, hooks = sync(spec, source, target)
    assert result == counts(total=2, insert=1, error=1)
    empty = ("errors", None, {"id": None, "name": "x", "age": 1}, "identity field 'id' is empty")
    assert empty in hooks.reported
    assert target.sent == [target_row(1)]


def test_duplicate_identity_sends_one_record_and_warns_about_the_other(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    target = MemoryTarget()
    sync(spec, MemorySource(PEOPLE, people(3)), target)  # with a state: the diffing path
    source = MemorySource(PEOPLE, [person(1, "b"), person(1, "a"), person(2), person(3)])
    result, hooks = sync(spec, source, target)
    assert result == counts(total=3, insert=2, warnings=1)
    assert [r[:2] for r in hooks.reported if r[0] == "warnings"] == [("warnings", "1")]
    source.rows = [person(1, "a"), person(2), person(1, "b"), person(3)]
    assert sync(spec, source, target)[0] == counts(total=1, warnings=1)


def test_a_first_run_writes_as_it_reads_and_a_repeated_identity_is_written_again(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path)  # batches of 2: the repeat comes in a later batch
    source = MemorySource(PEOPLE, [person(1, "b"), person(2), person(1, "a")])
    target = MemoryTarget()
    result, _ = sync(spec, source, target)
    assert result == counts(total=3, insert=2, update=1)
    assert sorted(target.rows, key=lambda row: row["id"]) == [target_row(1, "a"), target_row(2)]
    # The state is what the target holds: nothing is sent again.
    source.rows = [person(1, "a"), person(2)]
    assert sync(spec, source, target)[0] == counts()


def test_cancel_between_batches_raises_and_leaves_the_state_untouched(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget()
    sync(spec, source, target)
    state = (tmp_path / "state.parquet").read_bytes()
    source.rows = people(1, 2, 3, 4, 5, 6)
    # 3 source batches of 2 pass, then 1 of the 3 write batches, then cancel.
    hooks = RecordingHooks(cancel_after=4)
    with pytest.raises(RunCanceled):
        sync(spec, source, target, hooks)
    assert (tmp_path / "state.parquet").read_bytes() == state
    assert target.sent == [target_row(1), target_row(2), target_row(3)]
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    assert target.sent[3:] == [target_row(4), target_row(5), target_row(6)]


def test_cancel_while_reading_opens_no_writer(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    target = MemoryTarget()
    sync(spec, MemorySource(PEOPLE, people(9)), target)  # with a state: read, then write
    state = (tmp_path / "state.parquet").read_bytes()
    plans = len(target.plans)
    with pytest.raises(RunCanceled):
        sync(spec, MemorySource(PEOPLE, people(1, 2, 3)), target, RecordingHooks(cancel_after=1))
    assert len(target.plans) == plans
    assert (tmp_path / "state.parquet").read_bytes() == state


def test_a_canceled_first_run_keeps_what_it_wrote_and_the_next_sends_the_rest(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2, 3, 4, 5, 6)), MemoryTarget()
    with pytest.raises(RunCanceled):
        sync(spec, source, target, RecordingHooks(cancel_after=2))
    written = len(target.rows)
    assert 0 < written < 6
    assert not (tmp_path / "state.parquet").exists()
    assert sync(spec, source, target)[0] == counts(total=6 - written, insert=6 - written)
    assert sorted(row["id"] for row in target.rows) == [1, 2, 3, 4, 5, 6]


def test_crash_mid_run_leaves_state_so_next_run_sends_exactly_the_unconfirmed(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path, SyncMode.APPEND)
    source, target = MemorySource(PEOPLE, people(1, 2, 3, 4, 5)), MemoryTarget(fail_on_write=2)
    with pytest.raises(ConnectorError, match="connection to the target was lost"):
        sync(spec, source, target)
    assert not (tmp_path / "state.parquet").exists()
    assert target.rows == [target_row(1), target_row(2)]
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    assert target.rows == [target_row(n) for n in range(1, 6)]
    assert sync(spec, source, target)[0] == counts()


def test_crashed_replace_keeps_the_old_contents_and_resends_everything(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.REPLACE)
    target = MemoryTarget(rows=[target_row(9)], fail_on_write=2)
    source = MemorySource(PEOPLE, people(1, 2, 3))
    with pytest.raises(ConnectorError):
        sync(spec, source, target)
    assert target.rows == [target_row(9)]
    assert sync(spec, source, target)[0] == counts(total=3, insert=3)
    assert target.rows == [target_row(1), target_row(2), target_row(3)]


def test_replace_of_an_empty_model_is_refused_without_resync(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SyncMode.REPLACE)
    source, target = MemorySource(PEOPLE, people(1)), MemoryTarget()
    sync(spec, source, target)
    state = (tmp_path / "state.parquet").read_bytes()
    source.rows = []
    with pytest.raises(ConnectorError, match="refusing to replace"):
        sync(spec, source, target)
    assert target.rows == [target_row(1)]
    assert (tmp_path / "state.parquet").read_bytes() == state


def test_unexpected_source_failure_becomes_an_engine_error(tmp_path: Path) -> None:
    class Broken(MemorySource):
        def read(self, *args: Any, **kwargs: Any) -> pa.RecordBatchReader:
            raise RuntimeError("driver exploded")

    with pytest.raises(EngineError, match="the run failed unexpectedly: RuntimeError: driver"):
        sync(make_spec(tmp_path), Broken(PEOPLE), MemoryTarget())


def test_writer_reporting_the_wrong_number_of_results_is_an_engine_error(tmp_path: Path) -> None:
    class Short(MemoryWriter):
        def write(self, batch: pa.RecordBatch) -> BatchResult:
            return BatchResult([RecordResult.INSERTED])

    class ShortTarget(MemoryTarget):
        def open_writer(self, plan: WritePlan) -> Writer:
            return Short(plan, self)

    with pytest.raises(EngineError, match="reported 1 results for a batch of 2"):
        sync(make_spec(tmp_path), MemorySource(PEOPLE, people(1, 2)), ShortTarget())
    assert not (tmp_path / "state.parquet").exists()


def test_second_run_of_a_sync_at_the_same_time_is_refused(tmp_path: Path) -> None:
    with StateStore(tmp_path), pytest.raises(EngineError, match="another run of this sync"):
        sync(make_spec(tmp_path), MemorySource(PEOPLE, people(1)), MemoryTarget())


def test_progress_is_reported_after_every_batch(tmp_path: Path) -> None:
    source = MemorySource(PEOPLE, people(1, 2, 3))
    _, hooks = sync(make_spec(tmp_path), source, MemoryTarget())
    # A first run writes each batch as it is read (reading one batch ahead).
    assert [c.insert for c, _ in hooks.progress_calls] == [2, 3]
    assert hooks.progress_calls[-1][1] == 3
    source.rows = people(1, 2, 3, 4, 5)
    _, hooks = sync(make_spec(tmp_path), source, MemoryTarget())
    # A later run reads everything (3 batches), then writes what changed (1 batch).
    assert [c.insert for c, _ in hooks.progress_calls] == [0, 0, 0, 2]
    reads = [read for _, read in hooks.progress_calls]
    assert reads == sorted(reads)
    assert reads[-2:] == [5, 5]


def test_journal_older_than_the_state_is_ignored(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2, 3)), MemoryTarget()
    sync(spec, source, target)
    source.rows = [person(n, "second") for n in (1, 2, 3)]
    target.fail_on_write = target.writes + 2
    with pytest.raises(ConnectorError):
        sync(spec, source, target)
    journal = tmp_path / "journal"
    left_behind = tmp_path / "left-behind"
    shutil.copytree(journal, left_behind)
    source.rows = [person(n, "third") for n in (1, 2, 3)]
    assert sync(spec, source, target)[0] == counts(total=3, update=3)
    # As if the run had crashed after committing the state but before deleting the journal.
    shutil.rmtree(journal)
    shutil.move(left_behind, journal)
    assert sync(spec, source, target)[0] == counts()


def test_unexpected_error_message_is_scrubbed_of_connector_secrets(tmp_path: Path) -> None:
    class SecretConfig(MemoryConfig):
        password: SecretStr = SecretField(title="Password")

    class Leaky(MemorySource):
        def read(self, *args: Any, **kwargs: Any) -> pa.RecordBatchReader:
            raise RuntimeError("login with password hunter2 failed")

    source = Leaky(PEOPLE)
    source.config = SecretConfig(password=SecretStr("hunter2"))
    with pytest.raises(EngineError) as raised:
        sync(make_spec(tmp_path), source, MemoryTarget())
    assert "hunter2" not in str(raised.value)
    assert "********" in str(raised.value)
