"""Driving the `http` connector as the engine does: attach a sync, open a writer, write.

`HttpSync` is one sync writing to one receiver: its target configuration is
checked and normalized by the connector (as the service does at save time),
and every `write` is one execution writing one batch with the records'
identities and change hashes, through a connector made afresh (as each run
makes its own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from syncline.connectors.delivery.policy import Backoff, RetrySettings
from syncline.connectors.delivery.writer import DeliveryWriter
from syncline.connectors.http import HttpConfig, HttpConnector
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.connectors.writing import (
    BatchResult,
    CommitMark,
    RecordKeys,
    SyncContext,
    WriteColumn,
    WritePlan,
)

TINY_BACKOFF = RetrySettings(initial_backoff=0.01, max_backoff=0.02)
"""Retries in tests wait a few milliseconds (what `Retry-After` asks for is still honoured)."""

_TYPES = {
    FieldType.STRING: pa.string(),
    FieldType.NUMBER: pa.int64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.OBJECT: pa.string(),
}


def connector(base_url: str, **config: Any) -> HttpConnector:
    """An `http` connector for `base_url`, with short timeouts unless `config` says."""
    options: dict[str, Any] = {"connect_timeout": 2, "read_timeout": 5, **config}
    return HttpConnector(HttpConfig(base_url=base_url, **options))


def content_hash(values: Mapping[str, Any]) -> int:
    """A record's change hash, as the engine makes one: the same values, the same hash."""
    digest = hashlib.md5(json.dumps(values, sort_keys=True).encode()).digest()  # noqa: S324
    return int.from_bytes(digest[:8], "little")


@dataclass
class HttpSync:
    """One sync writing to an `http` connection (see the module docstring)."""

    base_url: str
    directory: Path
    configuration: Mapping[str, Any] = field(default_factory=dict)
    connection: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, FieldType] = field(
        default_factory=lambda: {"id": FieldType.NUMBER, "email": FieldType.STRING}
    )
    identity: tuple[str, ...] = ("id",)
    sync_id: str = "sync-1"
    runs: int = 0
    logged: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stored = self.connector().check_target_configuration(
            "http", self.configuration, self.fields
        )

    def connector(self) -> HttpConnector:
        return connector(self.base_url, **self.connection)

    def write(
        self,
        mode: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        test: bool = False,
        backoff: RetrySettings | None = TINY_BACKOFF,
    ) -> BatchResult:
        """One execution writing `rows` as one batch by `mode`; its result."""
        self.runs += 1
        execution_id = f"execution-{self.runs}"
        target = self.connector()
        target.attach(
            SyncContext(
                sync_id=self.sync_id,
                execution_id=execution_id,
                directory=self.directory,
                sync_name="people",
                test=test,
                log=lambda level, message: self.logged.append((level, message)),
            )
        )
        names = list(self.fields)
        schema = pa.schema([(name, _TYPES[self.fields[name]]) for name in names])
        batch = pa.RecordBatch.from_pylist([dict(row) for row in rows], schema=schema)
        plan = WritePlan(
            object_id="http",
            mode=SyncMode(mode),
            columns=tuple(WriteColumn(name, schema.field(name).type) for name in names),
            identity=self.identity,
            configuration=self.stored,
            mark=CommitMark(self.sync_id, execution_id),
        )
        identities = [
            "|".join(str(row[name]) for name in self.identity) or str(content_hash(row))
            for row in rows
        ]
        keys = RecordKeys(identities, [content_hash(row) for row in rows])
        with target.open_writer(plan) as writer:
            assert isinstance(writer, DeliveryWriter)
            if backoff is not None:
                writer.sender.backoff = Backoff(backoff)
            result = writer.write(batch, 1, keys=keys)
            writer.finish()
        return result
