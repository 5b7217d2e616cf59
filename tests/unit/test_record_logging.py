"""Record logs: batches land in order as Parquet parts, render as JSON Lines, and a
failing disk never stalls a run."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from syncline.services.record_logging import QUEUED, RecordLogPipe, render
from syncline.store import record_logs
from syncline.store.record_logs import RecordLogWriter, count_records, log_parts


def _batch(start: int, size: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"id": list(range(start, start + size))})


def test_batches_are_kept_in_order_and_rendered_as_json_lines(tmp_path: Path) -> None:
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-1"))
    for n in range(20):
        kind = "inserts" if n % 2 else "updates"
        ids = [str(i) for i in range(n * 10, n * 10 + 10)]
        pipe.put(kind, _batch(n * 10, 10), ids, ["why"] * 10 if n == 3 else [None] * 10)

    assert pipe.close() is None

    assert count_records(tmp_path, "run-1", "inserts") == 100
    assert count_records(tmp_path, "run-1", "records") == 200
    inserts = render(tmp_path, "run-1", "inserts")
    assert inserts is not None
    lines = [json.loads(line) for line in inserts.read_text().splitlines()]
    expected = [i for n in range(1, 20, 2) for i in range(n * 10, n * 10 + 10)]
    assert [line["record"]["id"] for line in lines] == expected
    assert lines[0] == {"identity": "10", "record": {"id": 10}}
    everything = render(tmp_path, "run-1", "records")
    assert everything is not None
    records = [json.loads(line) for line in everything.read_text().splitlines()]
    assert sorted(r["record"]["id"] for r in records) == list(range(200))
    assert {r.get("message") for r in records} == {None, "why"}
    assert render(tmp_path, "run-1", "deletes") is None


def test_a_long_log_is_split_into_parts_readable_while_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_logs, "ROWS_PER_PART", 25)
    writer = RecordLogWriter(tmp_path, "run-3")
    for n in range(10):
        writer.append("inserts", _log(n * 10, 10))
    # Three parts complete (25+ rows each), the fourth still being written.
    assert len(log_parts(tmp_path, "run-3", "inserts")) == 3
    first = render(tmp_path, "run-3", "inserts")
    assert first is not None
    assert len(first.read_text().splitlines()) == 90
    writer.close()
    again = render(tmp_path, "run-3", "inserts")
    assert again is not None
    assert len(again.read_text().splitlines()) == 100


def _log(start: int, size: int) -> pa.RecordBatch:
    values = _batch(start, size)
    record = pa.StructArray.from_arrays(values.columns, fields=list(values.schema))
    identities = pa.array([str(i) for i in range(start, start + size)])
    messages = pa.nulls(size, pa.string())
    return pa.RecordBatch.from_arrays(
        [identities, messages, record], names=["identity", "message", "record"]
    )


def test_a_failing_log_is_reported_and_never_blocks_the_engine(tmp_path: Path) -> None:
    blocked = tmp_path / "executions"
    blocked.write_text("a file where the log folder should be")
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-2"))
    for n in range(QUEUED * 5):  # far more than the queue holds
        pipe.put("inserts", _batch(n, 1), [str(n)], [None])

    problem = pipe.close()

    assert problem is not None
    assert problem.startswith("record logs are incomplete")
