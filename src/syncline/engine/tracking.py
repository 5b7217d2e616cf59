"""Tracking columns: reading only the rows that changed since the last confirmed run.

A model may name tracking columns (`updated_at`, a version number): columns
whose value grows whenever a row changes. After a run in which every
record was confirmed, the state keeps the largest value seen in each
(`Watermark`); the next run asks the source only for rows at or above it,
or where it is NULL (`since`). The diff still compares what comes back with
the state, so rows read again unchanged are not sent, and a source that
cannot apply the condition (it is a hint) only reads more.

`>=` rather than `>`: a row written in the same instant as the last one
read, but committed after the read, is still picked up.

The watermark is tied to everything that decides which rows the model has
and what their records hold (`fingerprint`): when the model's query, its
filter, the mappings or the tracking columns change, the next run reads
the whole model again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.vocabulary import FilterFunction
from syncline.connectors.writing import TargetCondition, TargetFilter
from syncline.engine.spec import RunSpec

_LABEL = "syncline_tracking_{}_{}"


@dataclass(frozen=True)
class Watermark:
    """The largest value of each tracking column confirmed, for one `fingerprint`.

    `values` maps a column to `[function, value]`: the filter function that
    selects values at or above it (`OnOrAfter` for instants and dates,
    `GreaterThanEqual` for numbers), or None for a column of another type,
    which no source can be asked to compare (every run then reads all rows).
    """

    fingerprint: str
    values: Mapping[str, Any]

    def to_json(self) -> str:
        """The watermark as JSON text (stored with the state)."""
        return json.dumps({"fingerprint": self.fingerprint, "values": dict(self.values)})

    @classmethod
    def from_json(cls, text: str) -> Watermark | None:
        """The watermark `to_json` wrote, or None for anything else."""
        try:
            raw = json.loads(text)
            return cls(str(raw["fingerprint"]), dict(raw["values"]))
        except (ValueError, KeyError, TypeError):
            return None


def fingerprint(spec: RunSpec) -> str:
    """A digest of what decides the model's rows and their records."""
    parts = {
        "source": spec.source_configuration,
        "tracking": spec.tracking_columns,
        "mode": spec.mode,
        "target": spec.target_object,
        "mappings": [dataclasses.asdict(m) for m in spec.mappings],
        "identity": [dataclasses.asdict(i) for i in spec.identity],
        "identity_function": spec.identity_function,
        "filter": dataclasses.asdict(spec.model_filter) if spec.model_filter else None,
        "overrides": [dataclasses.asdict(o) for o in spec.overrides],
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def since(watermark: Watermark, columns: tuple[str, ...]) -> TargetFilter | None:
    """The source hint for rows changed since `watermark`: any tracking column
    at or above its mark, or NULL. None when a column has no mark."""
    marks: list[tuple[str, Any]] = []
    for column in columns:
        mark = watermark.values.get(column)
        if not isinstance(mark, list) or len(mark) != 2 or mark[0] is None:
            return None
        marks.append((str(mark[0]), mark[1]))
    conditions: dict[str, TargetCondition] = {}
    for i, (column, (function, value)) in enumerate(zip(columns, marks, strict=True)):
        conditions[_LABEL.format("from", i)] = TargetCondition(
            column, FilterFunction(function), value
        )
        conditions[_LABEL.format("null", i)] = TargetCondition(column, FilterFunction.IS_NULL)
    return TargetFilter(conditions, " OR ".join(conditions))


def combine(first: TargetFilter | None, second: TargetFilter | None) -> TargetFilter | None:
    """A hint that holds where both hold (either may be None: no condition)."""
    if first is None or second is None:
        return first or second
    clash = set(first.conditions) & set(second.conditions)
    if clash:
        raise ValueError(f"filter labels used twice: {', '.join(sorted(clash))}")
    logic_first = first.logic.strip() or " AND ".join(first.conditions)
    logic_second = second.logic.strip() or " AND ".join(second.conditions)
    return TargetFilter(
        {**first.conditions, **second.conditions}, f"({logic_first}) AND ({logic_second})"
    )


class HighWater:
    """The largest value of each tracking column over the batches it is shown."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self._max: dict[str, Any] = {}
        self._function: dict[str, FilterFunction | None] = {}

    def see(self, batch: pa.RecordBatch) -> None:
        """Take in one source batch; a column it lacks gets no mark (the next run reads all)."""
        for column in self.columns:
            if batch.schema.get_field_index(column) < 0:
                continue
            values = batch.column(column)
            self._function[column] = _at_or_above(values.type)
            largest = pc.max(values).as_py()
            if largest is None:
                continue
            current = self._max.get(column)
            if current is None or largest > current:
                self._max[column] = largest

    def advanced(self, old: Watermark | None, print_: str) -> Watermark:
        """The watermark after this run: the largest values seen, or the old ones."""
        values = dict(old.values) if old is not None and old.fingerprint == print_ else {}
        for column, largest in self._max.items():
            function = self._function.get(column)
            values[column] = [function.value if function else None, _json_value(largest)]
        return Watermark(print_, values)


def _at_or_above(type_: pa.DataType) -> FilterFunction | None:
    """The filter function selecting values at or above a mark, for a column type."""
    types = pa.types
    if types.is_timestamp(type_) or types.is_date(type_):
        return FilterFunction.ON_OR_AFTER
    if types.is_integer(type_) or types.is_decimal(type_) or types.is_floating(type_):
        return FilterFunction.GREATER_THAN_EQUAL
    return None


def _json_value(value: Any) -> Any:
    """A column value as JSON that the source filter reads back as the same value."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)
