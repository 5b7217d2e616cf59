"""Record logs: the values a record is reported with are JSON-safe and say what was sent."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa

from syncline.connectors.writing import BatchResult, RecordResult
from syncline.engine.records import Recorder, json_lines
from syncline.engine.spec import Counts
from tests.engine.memory import RecordingHooks


def test_record_values_are_json_safe_and_keep_their_meaning() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "at": pa.array([datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)], pa.timestamp("us", "UTC")),
            "naive": pa.array([datetime(2024, 1, 2, 3, 4, 5)], pa.timestamp("s")),
            "day": pa.array([date(2024, 1, 2)]),
            "price": pa.array([Decimal("1.50")], pa.decimal128(5, 2)),
            "blob": pa.array([b"\x00\x01"]),
            "ratio": pa.array([float("nan")]),
            "tags": pa.array([["a", "b"]]),
            "n": pa.array([None], pa.int64()),
        }
    )
    [line] = json_lines(batch, [None], [None]).to_pylist()
    row = json.loads(line)["record"]
    assert row == {
        "at": "2024-01-02T03:04:05.000000Z",
        "naive": "2024-01-02T03:04:05",
        "day": "2024-01-02",
        "price": "1.50",
        "blob": "AAE=",
        "ratio": "nan",
        "tags": ["a", "b"],
        "n": None,
    }
    assert datetime.fromisoformat(row["at"]) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_every_result_is_counted_once_and_skipped_records_are_not_reported() -> None:
    hooks, counts = RecordingHooks(), Counts()
    results = [
        RecordResult.INSERTED,
        RecordResult.UPDATED,
        RecordResult.DELETED,
        RecordResult.SKIPPED,
        RecordResult.NOT_FOUND,
        RecordResult.REJECTED,
    ]
    batch = pa.RecordBatch.from_pydict({"id": list(range(6))})
    keys = [str(n) for n in range(6)]
    confirmed = Recorder(counts, hooks, identified=True).written(
        batch, keys, BatchResult(results, {5: "too long"})
    )
    assert counts == Counts(total=6, insert=1, update=1, delete=1, error=1, warnings=1)
    assert confirmed == [True, True, True, True, False, False]
    assert [(kind, key, message) for kind, key, _, message in hooks.reported] == [
        ("inserts", "0", None),
        ("updates", "1", None),
        ("deletes", "2", None),
        ("errors", "5", "too long"),
        ("warnings", "4", "no target record matches identity 4"),
    ]


def test_record_lines_render_every_kind_of_value_and_message() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "at": pa.array(
                [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None], pa.timestamp("us", "UTC")
            ),
            "day": pa.array([date(2024, 1, 2), None]),
            "price": pa.array([Decimal("-1.50"), None], pa.decimal128(5, 2)),
            "blob": pa.array([b"\x00\x01", None]),
            "ratio": pa.array([0.1, None]),
            "odd": pa.array([float("inf"), 1e20]),
            "n": pa.array([None, -7], pa.int64()),
            "ok": pa.array([True, None]),
            "text": pa.array(['quote " back \\ tab \t nul \x00 é', ""]),
            "plain": pa.array(["x", None]),
            "tags": pa.array([["a", "b"], None]),
            'we"ird': pa.array([1, 2]),
        }
    )
    lines = json_lines(batch, ["1", None], [None, 'why "this"']).to_pylist()
    assert all(line.endswith("}\n") and line.count("\n") == 1 for line in lines)
    assert [json.loads(line) for line in lines] == [
        {
            "identity": "1",
            "record": {
                "at": "2024-01-02T03:04:05.000000Z",
                "day": "2024-01-02",
                "price": "-1.50",
                "blob": "AAE=",
                "ratio": 0.1,
                "odd": "inf",
                "n": None,
                "ok": True,
                "text": 'quote " back \\ tab \t nul \x00 é',
                "plain": "x",
                "tags": ["a", "b"],
                'we"ird': 1,
            },
        },
        {
            "identity": None,
            "record": {
                "at": None,
                "day": None,
                "price": None,
                "blob": None,
                "ratio": None,
                "odd": 1e20,
                "n": -7,
                "ok": None,
                "text": "",
                "plain": None,
                "tags": None,
                'we"ird': 2,
            },
            "message": 'why "this"',
        },
    ]
    assert json.loads(lines[0])["record"]["ratio"] == 0.1
    assert len(json_lines(batch.slice(0, 0), [], [])) == 0
