"""Sample records of a model: a few rows read with the limit pushed down, as JSON.

A source is never read whole for a sample: `limit` goes to the connector,
which turns it into the source's own `LIMIT`. A synchronous sample has a time
budget; past it the records read so far are returned with a warning.
"""

from __future__ import annotations

import base64
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa

from syncline.connectors.base import SourceConnector

SYNC_BUDGET_SECONDS = 10.0
"""How long a synchronous sample or preview may read (Polytomic documents 10 s)."""

MAX_SAMPLE_BATCH = 100
"""Rows per batch: small enough that a slow source still yields something within the budget."""

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


@dataclass(frozen=True)
class Sample:
    """Records as `{field name: JSON value}` and warnings for the person asking."""

    records: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def read_sample(
    source: SourceConnector,
    configuration: Mapping[str, Any],
    names: Sequence[str],
    *,
    limit: int,
    budget: float | None,
) -> Sample:
    """At most `limit` records of `configuration`, holding only the fields `names`.

    A name the source does not return (a user-added field) is null. With a
    `budget` in seconds, reading happens on a helper thread; when the budget
    runs out the records read so far come back with a warning, and the helper
    stops after its current batch (which `limit` bounds). Raises what the
    connector raises.
    """
    reader = _Reader(source, configuration, names, limit)
    if budget is None:
        reader.run()
        return reader.sample()
    # Not a daemon: a daemon thread still inside a driver's C code when the
    # interpreter finalizes aborts the process. Exit waits for the read instead,
    # which `limit` bounds.
    thread = threading.Thread(target=reader.run, name="syncline-sample", daemon=False)
    thread.start()
    thread.join(budget)
    if thread.is_alive():
        reader.stop.set()
        return reader.sample(
            f"reading the sample took longer than {budget:g} s; these are the records read "
            "so far. Ask with async=true to wait for the whole sample."
        )
    return reader.sample()


class _Reader:
    """Reads one sample, shareable with the thread waiting for it."""

    def __init__(
        self,
        source: SourceConnector,
        configuration: Mapping[str, Any],
        names: Sequence[str],
        limit: int,
    ) -> None:
        self.source = source
        self.configuration = configuration
        self.names = list(names)
        self.limit = limit
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._error: BaseException | None = None

    def run(self) -> None:
        """Read until the limit, the end of the rows, or `stop`; keep any error for `sample`."""
        try:
            batches = self.source.read(
                self.configuration, limit=self.limit, batch_size=min(self.limit, MAX_SAMPLE_BATCH)
            )
            for batch in batches:
                records = _records(batch, self.names)
                with self._lock:
                    self._records.extend(records[: self.limit - len(self._records)])
                    full = len(self._records) >= self.limit
                if full or self.stop.is_set():
                    break
            # Dropping the reader is what releases a SQL connector's connection.
            del batches
        except BaseException as exc:  # noqa: BLE001 - re-raised by `sample` on the caller's thread
            with self._lock:
                self._error = exc

    def sample(self, warning: str | None = None) -> Sample:
        """What was read so far. Raises the reading error, unless the budget ran out first."""
        with self._lock:
            if self._error is not None and warning is None:
                raise self._error
            return Sample(records=list(self._records), warnings=[warning] if warning else [])


def _records(batch: pa.RecordBatch, names: Sequence[str]) -> list[dict[str, Any]]:
    present = [name for name in names if name in batch.schema.names]
    rows = batch.select(present).to_pylist() if present else [{}] * batch.num_rows
    return [{name: json_value(row.get(name)) for name in names} for row in rows]


def json_value(value: Any) -> Any:
    """A value read from Arrow as JSON that keeps its meaning.

    Dates and times become ISO 8601 text, decimals exact text, bytes base64,
    non-finite floats `"NaN"`/`"Infinity"`/`"-Infinity"`; lists and objects
    are kept with their items converted. Anything else unknown becomes text.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return _NON_FINITE.get(value, value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)
