"""Memory is bounded by the batch size, not by the model (invariant 6).

A generated model runs twice in a child process: a first run that sends
every record, then one that diffs against the full state after a tenth of
the records changed. The engine may use DuckDB's limit
(`duck.MEMORY_LIMIT`, 128 MB) plus a few batches (5,000 records here); the
child's peak RSS growth must stay under that bound although the model is
about 700 MB as Arrow, and gigabytes as Python objects.

Two shapes run: fewer, wider records, and a million records whose keys
DuckDB diffs (about 7 seconds; measured growth about 200 MB for the million).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunSpec
from syncline.engine.values import row_numbers
from tests.engine.memory import GeneratedSource, MemoryTarget

BOUND_MB = 280
"""DuckDB's 128 MB, and room for a few batches and the interpreter's own growth: the
read-ahead threads hold batches in flight, and their allocator arenas (measured: 188 and
203 MB of growth)."""

MODEL_MB = 650
"""The least size of the model as Arrow: well above the bound."""

WIDE = pa.schema(
    [
        ("id", pa.int64()),
        ("email", pa.string()),
        ("note", pa.string()),
        ("amount", pa.float64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


class CountingHooks:
    """Hooks that keep only the number of records reported, so they hold no memory."""

    def __init__(self) -> None:
        self.reported = 0

    def cancelled(self) -> bool:
        return False

    def progress(self, counts: Counts, read: int) -> None:
        del counts, read

    def log(self, level: str, message: str) -> None:
        del level, message

    def records(
        self,
        kind: str,
        values: pa.RecordBatch,
        identities: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        self.reported += values.num_rows


def model(rows: int, width: int, version: int) -> GeneratedSource:
    """`rows` records with a `width`-character note; `version` changes every tenth amount."""
    note = "x" * width

    def make(start: int, length: int) -> pa.RecordBatch:
        ids = row_numbers(start, length)
        text = pc.cast(ids, pa.string())
        email = pc.binary_join_element_wise("user", text, "@example.com", "")
        notes = pc.binary_join_element_wise(pa.repeat(note, length), text, "")
        tenth = pc.equal(pc.subtract(ids, pc.multiply(pc.divide(ids, 10), 10)), 0)
        amount = pc.add(pc.cast(ids, pa.float64()), pc.if_else(tenth, float(version), 0.0))
        stamp = pa.repeat(pa.scalar(datetime(2024, 1, 1, tzinfo=UTC), WIDE.field(4).type), length)
        return pa.RecordBatch.from_arrays([ids, email, notes, amount, stamp], schema=WIDE)

    return GeneratedSource(WIDE, rows, make)


def spec(state_dir: Path) -> RunSpec:
    return RunSpec(
        sync_id="big",
        execution_id="big-1",
        mode=SyncMode.UPDATE_OR_CREATE,
        source_configuration={},
        mappings=tuple(FieldMapping(name, source=name) for name in WIDE.names),
        target_object="records",
        state_dir=state_dir,
        identity=(IdentityPair("id", "id"),),
        batch_size=5_000,
        started_at=datetime(2024, 1, 2, tzinfo=UTC),
    )


def measure(state_dir: str, rows: int, width: int) -> None:
    """In a fresh process: warm up, run twice, print growth, model size, counts and time."""
    warm = Path(state_dir) / "warm"
    run_sync(spec(warm), model(1_000, width, 0), MemoryTarget(keep=False), CountingHooks())
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    big = Path(state_dir) / "big"
    counts = [
        vars(run_sync(spec(big), model(rows, width, v), MemoryTarget(keep=False), CountingHooks()))
        for v in (0, 1)
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    one_batch = model(rows, width, 0).make(0, 5_000)
    report = {
        "growth_mb": round((peak - baseline) / 1024),
        "model_mb": round(one_batch.nbytes * rows / 5_000 / 2**20),
        "seconds": round(time.perf_counter() - started, 1),
        "counts": counts,
    }
    print(json.dumps(report))


@pytest.mark.parametrize(
    ("rows", "width"),
    [
        pytest.param(300_000, 2_300, id="300k-wide-records"),
        pytest.param(1_000_000, 650, id="1M-records"),
    ],
)
def test_a_model_far_larger_than_memory_runs_in_bounded_memory(rows: int, width: int) -> None:
    with tempfile.TemporaryDirectory() as state_dir:
        code = (
            "from tests.engine.test_bounded_memory import measure; "
            f"measure({state_dir!r}, {rows}, {width})"
        )
        child = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=180
        )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    print(report)
    first, second = report["counts"]
    assert first == vars(Counts(total=rows, insert=rows))
    # The counting target answers INSERTED to everything it is sent.
    assert second == vars(Counts(total=rows // 10, insert=rows // 10))
    assert report["model_mb"] > MODEL_MB
    assert report["growth_mb"] < BOUND_MB
