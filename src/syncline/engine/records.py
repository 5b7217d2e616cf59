"""Record outcomes turned into counts and record logs.

Every record the engine considers sending ends up in exactly one place:
handed to the writer (and then inserted, updated, deleted, skipped, not
found or rejected), or refused by the engine itself (an empty identity is an
error, a second record with the same identity a warning). `Counts.total`
counts all of them, so `total = insert + update + delete + error + warnings +
skipped`; records left out because they did not change are not counted.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from syncline.connectors.writing import BatchResult, RecordResult
from syncline.engine.errors import EngineError
from syncline.engine.spec import Counts, RunHooks
from syncline.engine.values import is_text

CONFIRMED = frozenset(
    {RecordResult.INSERTED, RecordResult.UPDATED, RecordResult.DELETED, RecordResult.SKIPPED}
)
"""Results after which the target holds what the engine sent (or chose to keep its own)."""

_KINDS = {
    RecordResult.INSERTED: "inserts",
    RecordResult.UPDATED: "updates",
    RecordResult.DELETED: "deletes",
    RecordResult.REJECTED: "errors",
    RecordResult.NOT_FOUND: "warnings",
}


class Recorder:
    """Counts outcomes into `counts` and reports each record through `hooks`.

    `identified` says whether records have an identity; without one their
    key is a hash, which means nothing to a person and is not reported.
    `retry_rejected` (the sync's `auto_retry_record_errors`) keeps rejected
    records unconfirmed so the next run sends them again; without it they
    count as settled until they change.

    Between `hold` and `publish`, records written count in `total` (and as
    errors or warnings) but not yet as inserted, updated or deleted: a target
    that shows them only when its writer finishes holds none of them before,
    and a run that fails or stops sooner wrote none.
    """

    def __init__(
        self, counts: Counts, hooks: RunHooks, *, identified: bool, retry_rejected: bool = True
    ) -> None:
        self.counts = counts
        self._hooks = hooks
        self._identified = identified
        self._retry_rejected = retry_rejected
        self.unsettled = 0
        """Records this run left for a later one: refused with an error, or not confirmed."""
        self._held: Counts | None = None

    def hold(self) -> None:
        """Count the records written from now on as written only at `publish`."""
        self._held = Counts()

    def publish(self) -> None:
        """The target shows what was written since `hold`: count it."""
        held, self._held = self._held, None
        if held is not None:
            self.counts.insert += held.insert
            self.counts.update += held.update
            self.counts.delete += held.delete

    def refused(
        self, kind: str, values: pa.RecordBatch, keys: Sequence[str | None], messages: Sequence[str]
    ) -> None:
        """Report records the engine will not send: `kind` is `errors` or `warnings`."""
        self.counts.total += values.num_rows
        if kind == "errors":
            self.counts.error += values.num_rows
            self.unsettled += values.num_rows
        else:
            self.counts.warnings += values.num_rows
        identities = list(keys) if self._identified else [None] * values.num_rows
        self._hooks.records(kind, values, identities, list(messages))

    def written(
        self, values: pa.RecordBatch, keys: Sequence[str], result: BatchResult
    ) -> list[bool]:
        """Count and report a written batch's results; which records the target confirmed.

        Raises `EngineError` when the writer reported a result count that does
        not match the batch.
        """
        results = result.results
        if len(results) != values.num_rows:
            raise EngineError(
                f"the writer reported {len(results)} results "
                f"for a batch of {values.num_rows} records"
            )
        tally = Counter(results)
        self.counts.total += len(results)
        written = self._held if self._held is not None else self.counts
        written.insert += tally[RecordResult.INSERTED]
        written.update += tally[RecordResult.UPDATED]
        written.delete += tally[RecordResult.DELETED]
        self.counts.error += tally[RecordResult.REJECTED]
        self.counts.warnings += tally[RecordResult.NOT_FOUND]
        for outcome, kind in _KINDS.items():
            if not tally[outcome]:
                continue
            indexes = [i for i, each in enumerate(results) if each is outcome]
            identities = [keys[i] if self._identified else None for i in indexes]
            messages: list[str | None] = [result.messages.get(i) for i in indexes]
            if kind in ("errors", "warnings"):
                messages = [
                    message or _default_message(outcome, key)
                    for message, key in zip(messages, identities, strict=True)
                ]
            chosen = values.take(pa.array(indexes, pa.int64()))
            self._hooks.records(kind, chosen, identities, messages)
        settled = CONFIRMED if self._retry_rejected else CONFIRMED | {RecordResult.REJECTED}
        confirmed = [outcome in settled for outcome in results]
        self.unsettled += confirmed.count(False)
        return confirmed


def json_lines(
    batch: pa.RecordBatch, identities: Sequence[str | None], messages: Sequence[str | None]
) -> pa.StringArray:
    """One record-log line per row: `{"identity": ..., "record": {...}, "message": ...}`,
    each ending with a newline.

    `message` is left out where it is None. Values are rendered column by
    column with Arrow's string kernels, meaning what `json_safe` says they
    mean: a record log covers every record sent, and a `json.dumps` per
    record costs more than writing the record to a database.
    """
    size = batch.num_rows
    if len(identities) != size or len(messages) != size:
        raise ValueError("one identity and one message per row are needed")
    if not size:
        return pa.array([], pa.string())
    parts: list[pa.Array | str] = ['{"identity":', _json_text(pa.array(identities, pa.string()))]
    parts.append(',"record":{')
    for i, (name, column) in enumerate(zip(batch.schema.names, batch.columns, strict=True)):
        parts.append(("," if i else "") + json.dumps(name, ensure_ascii=False) + ":")
        parts.append(_json_values(column))
    parts.append("}")
    if any(message is not None for message in messages):
        texts = pa.array(messages, pa.string())
        labelled = pc.binary_join_element_wise(',"message":', _json_text(texts), "")
        parts.append(pc.if_else(pc.is_null(texts), "", labelled))
    parts.append("}\n")
    arrays = [pa.repeat(part, size) if isinstance(part, str) else part for part in parts]
    lines: pa.StringArray = pc.binary_join_element_wise(*arrays, "")
    return lines


def _json_values(column: pa.Array) -> pa.Array:
    """Each value of `column` as JSON text (`null` for NULL), as `json_safe` renders it."""
    type_ = column.type
    if pt.is_integer(type_):
        return pc.fill_null(pc.cast(column, pa.string()), "null")
    if pt.is_boolean(type_):
        return pc.fill_null(pc.if_else(column, "true", "false"), "null")
    if pt.is_floating(type_) and pc.all(pc.is_finite(pc.drop_null(column))).as_py() is not False:
        # Arrow writes the shortest text that reads back as the same float.
        return pc.fill_null(pc.cast(column, pa.string()), "null")
    if is_text(type_) or pt.is_null(type_):
        return _json_text(pc.cast(column, pa.string()))
    if pt.is_timestamp(type_) or pt.is_date(type_) or pt.is_time(type_) or pt.is_decimal(type_):
        return _json_text(_iso_text(column))
    return pa.array(
        [json.dumps(json_safe(value), ensure_ascii=False) for value in column.to_pylist()],
        pa.string(),
    )


def _iso_text(column: pa.Array) -> pa.Array:
    """Instants, dates and times as ISO-8601 text, decimals as their digits.

    Arrow's text of these is ISO 8601 once the date and time are joined by
    a T. A UTC instant is cast as wall time and given its `Z` here: Arrow
    formats zoned timestamps many times slower, looking the zone up per value.
    """
    type_ = column.type
    if pt.is_timestamp(type_) and type_.tz in ("UTC", "+00:00", "Z"):
        wall = pc.cast(column.cast(pa.timestamp(type_.unit)), pa.string())
        text = pc.binary_join_element_wise(wall, "Z", "")
    else:
        text = pc.cast(column, pa.string())
    if pt.is_timestamp(type_):
        text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return text


_NEEDS_ESCAPE = r'[\\"\x00-\x1f]'
"""Characters a JSON string cannot hold as they are (RE2 syntax)."""


def _json_text(column: pa.Array) -> pa.Array:
    """Strings as JSON string literals (`null` for NULL)."""
    if pc.any(pc.match_substring_regex(column, _NEEDS_ESCAPE)).as_py():
        return pa.array(
            [json.dumps(value, ensure_ascii=False) for value in column.to_pylist()], pa.string()
        )
    return pc.fill_null(pc.binary_join_element_wise('"', column, '"', ""), "null")


def json_safe(value: Any) -> Any:
    """`value` as something `json.dumps` accepts without losing what it says.

    Instants and dates become ISO-8601 text, decimals text (no precision
    lost), bytes base64, durations seconds, non-finite floats text.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return str(value)


def _default_message(outcome: RecordResult, key: str | None) -> str:
    if outcome is RecordResult.REJECTED:
        return "the target rejected the record"
    return f"no target record matches identity {key}" if key else "no matching target record"
