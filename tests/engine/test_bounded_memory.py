"""Memory is bounded by the batch size, not by the model (invariant 6).

A generated model of a million wide rows (about 200 MB as Arrow, several
times that as Python objects) runs twice in a child process: a first run
that sends everything, then one that diffs against the million-row state
after a tenth of the records changed. The child's peak RSS may grow by far
less than the model's size.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunSpec
from syncline.engine.values import row_numbers
from tests.engine.memory import GeneratedSource, MemoryTarget

ROWS = 1_000_000
LIMIT_MB = 150
WIDE = pa.schema(
    [
        ("id", pa.int64()),
        ("email", pa.string()),
        ("note", pa.string()),
        ("amount", pa.float64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)
NOTE = "x" * 150
"""Makes each row about 200 bytes, so the model is about 200 MB as Arrow."""


class CountingHooks:
    """Hooks that keep only the number of records reported, so they hold no memory."""

    def __init__(self) -> None:
        self.records = 0

    def cancelled(self) -> bool:
        return False

    def progress(self, counts: Counts, read: int) -> None:
        del counts, read

    def log(self, level: str, message: str) -> None:
        del level, message

    def record(
        self, kind: str, identity: str | None, values: Mapping[str, Any], message: str | None
    ) -> None:
        self.records += 1


def model(version: int) -> GeneratedSource:
    """The generated model; each version changes the amount of every tenth record."""

    def make(start: int, length: int) -> pa.RecordBatch:
        ids = row_numbers(start, length)
        text = pc.cast(ids, pa.string())
        email = pc.binary_join_element_wise("user", text, "@example.com", "")
        note = pc.binary_join_element_wise(pa.repeat(NOTE, length), text, "")
        tenth = pc.equal(pc.subtract(ids, pc.multiply(pc.divide(ids, 10), 10)), 0)
        amount = pc.add(pc.cast(ids, pa.float64()), pc.if_else(tenth, float(version), 0.0))
        stamp = pa.repeat(pa.scalar(datetime(2024, 1, 1, tzinfo=UTC), WIDE.field(4).type), length)
        return pa.RecordBatch.from_arrays([ids, email, note, amount, stamp], schema=WIDE)

    return GeneratedSource(WIDE, ROWS, make)


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
        batch_size=10_000,
        started_at=datetime(2024, 1, 2, tzinfo=UTC),
    )


def measure(state_dir: str) -> None:
    """In a fresh process: warm up, run twice, print peak RSS growth (MB), counts and seconds."""
    warm = GeneratedSource(WIDE, 1_000, model(0).make)
    run_sync(spec(Path(state_dir) / "warm"), warm, MemoryTarget(keep=False), CountingHooks())
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    big = Path(state_dir) / "big"
    first = run_sync(spec(big), model(0), MemoryTarget(keep=False), CountingHooks())
    second = run_sync(spec(big), model(1), MemoryTarget(keep=False), CountingHooks())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {
        "growth_mb": round((peak - baseline) / 1024, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "first": vars(first),
        "second": vars(second),
    }
    print(json.dumps(report))


def test_a_million_row_model_runs_in_bounded_memory() -> None:
    with tempfile.TemporaryDirectory() as state_dir:
        code = f"from tests.engine.test_bounded_memory import measure; measure({state_dir!r})"
        child = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    print(report)
    assert report["first"] == vars(Counts(total=ROWS, insert=ROWS))
    # The counting target answers INSERTED to everything it is sent.
    assert report["second"] == vars(Counts(total=ROWS // 10, insert=ROWS // 10))
    assert report["growth_mb"] < LIMIT_MB
