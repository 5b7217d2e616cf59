"""Building blocks of engine tests: a people model, specs over it, and one-call runs."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from syncline.connectors.vocabulary import SyncMode
from syncline.engine.run import run_sync
from syncline.engine.spec import Counts, FieldMapping, IdentityPair, RunOptions, RunSpec
from tests.engine.memory import MemorySource, MemoryTarget, RecordingHooks, Row

PEOPLE = pa.schema([("id", pa.int64()), ("name", pa.string()), ("age", pa.int64())])
STARTED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def person(number: int, name: str | None = None, age: int | None = None) -> Row:
    """A model row: person `number`, named `p<number>` unless given."""
    return {"id": number, "name": name or f"p{number}", "age": age if age is not None else number}


def people(*numbers: int) -> list[Row]:
    """Model rows for `numbers`."""
    return [person(number) for number in numbers]


def target_row(number: int, name: str | None = None, age: int | None = None) -> Row:
    """How person `number` looks in the target (`id`, `name`, `age` columns)."""
    row = person(number, name, age)
    return {"id": row["id"], "name": row["name"], "age": row["age"]}


def make_spec(
    state_dir: Path,
    mode: SyncMode = SyncMode.UPDATE_OR_CREATE,
    *,
    identity: bool = True,
    batch_size: int = 2,
    **changes: Any,
) -> RunSpec:
    """A sync of the people model onto `id`, `name`, `age` by `mode`."""
    spec = RunSpec(
        sync_id="sync-1",
        execution_id="execution-1",
        mode=mode,
        source_configuration={"table": "people"},
        mappings=(
            FieldMapping("id", source="id"),
            FieldMapping("name", source="name"),
            FieldMapping("age", source="age"),
        ),
        target_object="records",
        state_dir=state_dir,
        identity=(IdentityPair("id", "id"),) if identity else (),
        batch_size=batch_size,
        started_at=STARTED,
    )
    return replace(spec, **changes)


def with_options(spec: RunSpec, **options: Any) -> RunSpec:
    """`spec` with these `RunOptions`."""
    return replace(spec, options=RunOptions(**options))


def sync(
    spec: RunSpec,
    source: MemorySource,
    target: MemoryTarget,
    hooks: RecordingHooks | None = None,
) -> tuple[Counts, RecordingHooks]:
    """Run `spec` once; its counts and the hooks that recorded it."""
    hooks = hooks or RecordingHooks()
    return run_sync(spec, source, target, hooks), hooks


def counts(**values: int) -> Counts:
    """Counts with these values and zero elsewhere."""
    return Counts(**values)


def by_id(rows: list[Row]) -> list[Row]:
    """`rows` sorted by `id`, to compare contents regardless of order."""
    return sorted(rows, key=lambda row: row["id"])


def state_of(state_dir: Path) -> dict[tuple[int, int], int]:
    """The confirmed state stored under `state_dir`: key number -> hash (of the key's
    highest-ranked row)."""
    table = pq.read_table(state_dir / "state.parquet")
    if "rank" in table.column_names:
        table = table.sort_by("rank")  # the dict below keeps each key's last row
    high, low = table.column("key_high").to_pylist(), table.column("key_low").to_pylist()
    keys = zip(high, low, strict=True)
    return dict(zip(keys, table.column("hash").to_pylist(), strict=True))


def key_numbers(*keys: str) -> set[tuple[int, int]]:
    """The numbers the state stores for these identity keys: halves of the little-endian MD5."""
    digests = [hashlib.md5(key.encode()).digest() for key in keys]  # noqa: S324
    return {(int.from_bytes(d[8:], "little"), int.from_bytes(d[:8], "little")) for d in digests}
