"""The record-log thread: batches land in order, and a failing disk never stalls a run."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from syncline.services.record_logging import QUEUED, RecordLogPipe
from syncline.store.record_logs import RecordLogWriter, execution_dir


def _batch(start: int, size: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"id": list(range(start, start + size))})


def test_batches_are_written_in_the_order_they_came(tmp_path: Path) -> None:
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-1"))
    for n in range(20):
        kind = "inserts" if n % 2 else "updates"
        pipe.put(
            kind, _batch(n * 10, 10), [str(i) for i in range(n * 10, n * 10 + 10)], [None] * 10
        )

    assert pipe.close() is None

    lines = (execution_dir(tmp_path, "run-1") / "records.jsonl").read_text().splitlines()
    assert [json.loads(line)["record"]["id"] for line in lines] == list(range(200))
    inserts = (execution_dir(tmp_path, "run-1") / "inserts.jsonl").read_text().splitlines()
    assert len(inserts) == 100


def test_a_failing_log_is_reported_and_never_blocks_the_engine(tmp_path: Path) -> None:
    blocked = tmp_path / "executions"
    blocked.write_text("a file where the log folder should be")
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-2"))
    for n in range(QUEUED * 5):  # far more than the queue holds
        pipe.put("inserts", _batch(n, 1), [str(n)], [None])

    problem = pipe.close()

    assert problem is not None
    assert problem.startswith("record logs are incomplete")
