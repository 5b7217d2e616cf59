"""Records as an API target sends them: values in JSON, and events by mode."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

from syncline.connectors.delivery.records import (
    Event,
    Known,
    event_of,
    json_bytes,
    json_rows,
    json_texts,
    jsonable,
)
from syncline.connectors.vocabulary import SyncMode


def test_json_rows_convert_every_type_as_each_value_would_be() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    batch = pa.record_batch(
        {
            "utc": pa.array(
                [
                    dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
                    None,
                    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=plus_two),
                ],
                pa.timestamp("us", "UTC"),
            ),
            "naive": pa.array(
                [
                    dt.datetime(2024, 1, 2, 3, 4, 5, 500000),
                    dt.datetime(2024, 1, 2),
                    dt.datetime(1960, 1, 1, 0, 0, 0, 250000),
                ],
                pa.timestamp("ms"),
            ),
            "seconds": pa.array([dt.datetime(2020, 1, 1)] * 3, pa.timestamp("s")),
            "nanos": pa.array([1000, 0, None], pa.timestamp("ns", "UTC")),
            "day": pa.array([dt.date(2024, 5, 6), None, dt.date(1999, 1, 1)]),
            "real": pa.array([1.5, float("nan"), float("inf")]),
            "money": pa.array([Decimal("1.50"), Decimal("2"), None], pa.decimal128(5, 2)),
            "text": ["a", None, "ü"],
            "flag": [True, False, None],
            "list": pa.array([[1, 2], None, []]),
            "bytes": pa.array([b"\x00\x01", None, b""]),
            "object": pa.array([{"a": 1}, None, {"a": None}]),
        }
    )
    expected = [{k: jsonable(v) for k, v in row.items()} for row in batch.to_pylist()]
    assert json_rows(batch) == expected
    assert expected[0]["utc"] == "2024-01-02T03:04:05.123456Z"
    assert expected[2]["utc"] == "2024-01-02T01:04:05Z"
    assert expected[1]["real"] is None
    assert expected[0]["money"] == 1.5
    assert expected[1]["money"] == 2
    assert expected[0]["bytes"] == "AAE="


def test_rows_as_json_texts_hold_the_values_json_rows_gives() -> None:
    batch = pa.record_batch(
        {
            "id": pa.array([1, -(2**63), None], pa.int64()),
            "big": pa.array([2**64 - 1, 0, None], pa.uint64()),
            "text": ['say "hi" \\ there', "ü 中 ✓ \u2028", None],
            "flag": [True, False, None],
            "real": pa.array([100.0, float("nan"), 0.1 + 0.2]),
            "round": pa.array([-2.0, 1e16, 123456.0]),
            "single": pa.array([0.1, float("inf"), None], pa.float32()),
            "money": pa.array([Decimal("12.50"), Decimal("-0.01"), None], pa.decimal128(10, 2)),
            "whole": pa.array(
                [Decimal("3.00"), Decimal("-10.00"), Decimal("0.00")], pa.decimal128(5, 2)
            ),
            "wide": pa.array([Decimal("1" * 30), None, Decimal("0")], pa.decimal128(38, 0)),
            "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 6000, dt.UTC), None, None]),
            "day": pa.array([dt.date(2024, 5, 6), None, dt.date(1, 1, 1)]),
            'we"ird\\name': [1, 2, 3],
        }
    )

    texts = json_texts(batch)

    assert texts is not None
    assert [json.loads(text) for text in texts] == json_rows(batch)
    assert texts[0].startswith('{"id":1,"big":18446744073709551615,')
    # The very text Python writes, for what fits a float.
    narrow = batch.drop_columns(["wide"])
    assert json_texts(narrow) == [json_bytes(row).decode() for row in json_rows(narrow)]


@pytest.mark.parametrize(
    "column",
    [
        pa.array([b"\x00"]),
        pa.array([[1, 2]]),
        pa.array([{"a": 1}]),
        pa.array([dt.time(1, 2)]),
        pa.array(["tab\there"]),
    ],
)
def test_what_needs_converting_value_by_value_has_no_json_texts(column: pa.Array) -> None:
    assert json_texts(pa.record_batch({"id": [1], "x": column})) is None


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York"])
def test_times_convert_in_bulk_as_value_by_value(unit: str, zone: str | None) -> None:
    # The widest range each unit holds (and Python can show in any zone).
    earliest = dt.datetime(1678 if unit == "ns" else 2, 1, 1)
    latest = dt.datetime(2262 if unit == "ns" else 9998, 4, 11, 23, 47, 16)
    moments = [earliest, latest, dt.datetime(1969, 12, 31, 23, 59, 59, 999000)]
    moments += [dt.datetime(2024, 2, 29, 12, 0, 0, 1000), dt.datetime(1970, 1, 1), None]
    if zone is not None:
        moments = [m if m is None else m.replace(tzinfo=dt.UTC) for m in moments]
    batch = pa.record_batch({"t": pa.array(moments, pa.timestamp(unit, zone))})

    converted = [row["t"] for row in json_rows(batch)]

    assert converted == [jsonable(value) for value in batch.column(0).to_pylist()]


@pytest.mark.parametrize(("precision", "scale"), [(5, 2), (15, 4), (15, 0), (38, 10), (20, 0)])
def test_decimals_convert_in_bulk_as_value_by_value(precision: int, scale: int) -> None:
    digits = precision - scale
    texts = ["0", "-1", "3", "9" * digits, "-" + "1" * max(digits - 1, 1)]
    if scale:
        texts += ["0.1", "-12.5", "9" * digits + "." + "9" * scale, "0." + "0" * (scale - 1) + "1"]
    values = [Decimal(text) for text in texts] + [None]
    batch = pa.record_batch({"d": pa.array(values, pa.decimal128(precision, scale))})

    converted = [row["d"] for row in json_rows(batch)]

    expected = [jsonable(value) for value in batch.column(0).to_pylist()]
    assert converted == expected
    assert [type(value) for value in converted] == [type(value) for value in expected]


@pytest.mark.parametrize(
    ("mode", "known", "unknown"),
    [
        (SyncMode.APPEND, Event.INSERT, Event.INSERT),
        (SyncMode.CREATE, None, Event.INSERT),
        (SyncMode.UPDATE, Event.UPDATE, Event.UPDATE),
        (SyncMode.UPDATE_OR_CREATE, Event.UPDATE, Event.INSERT),
        (SyncMode.REMOVE, Event.DELETE, Event.DELETE),
    ],
)
def test_each_mode_makes_its_events(mode: SyncMode, known: Event | None, unknown: Event) -> None:
    assert event_of(mode, Known(hash=1)) is known
    assert event_of(mode, None) is unknown
