"""The webhook body: Polytomic's `sync.records` document, for any values a record holds."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

from syncline.connectors.delivery.records import Event, Record, json_rows
from syncline.connectors.webhook.payload import body, body_of_texts, field_names, record_texts


def _record(index: int, values: dict[str, object], content: int | None = None) -> Record:
    return Record(
        index, str(index), 0xABC + index if content is None else content, dict(values), Event.INSERT
    )


def test_the_body_is_the_sync_records_document() -> None:
    records = [_record(0, {"id": 1, "name": "Ada ü"}), _record(1, {"id": 2, "name": None})]

    document = json.loads(body("s1", "Sync", records, normalize=False, metadata={"team": "x"}))

    assert document == {
        "event": "sync.records",
        "object": {
            "id": "s1",
            "name": "Sync",
            "records": [
                {"hash": "0000000000000abc", "fields": {"id": 1, "name": "Ada ü"}},
                {"hash": "0000000000000abd", "fields": {"id": 2, "name": None}},
            ],
        },
        "metadata": {"team": "x"},
    }


def test_an_integer_wider_than_64_bits_is_sent_exactly() -> None:
    wide = 2**70 + 1  # a decimal(38, 0) can hold it; JSON numbers have no width
    records = [_record(0, {"id": 1, "big": wide, "text": "ü"})]

    sent = body("s1", "Sync", records, normalize=False)

    assert json.loads(sent)["object"]["records"][0]["fields"]["big"] == wide
    assert "ü".encode() in sent  # UTF-8, not escaped, either way


def test_only_names_that_change_are_renamed_and_values_are_left_alone() -> None:
    values = {"$first name": "Ada", "plain": 1}
    records = [_record(0, values), _record(1, values)]

    fields = [
        record["fields"]
        for record in json.loads(body("s1", "Sync", records, normalize=True))["object"]["records"]
    ]

    assert fields == [{"first name": "Ada", "plain": 1}] * 2
    assert records[0].values == values


@pytest.mark.parametrize("metadata", [None, {"team": "growth", "n": 2}])
@pytest.mark.parametrize("normalize", [True, False])
def test_bodies_from_json_texts_are_the_same_document(
    metadata: dict[str, object] | None, normalize: bool
) -> None:
    batch = pa.record_batch(
        {
            "id": [1, 2],
            "$first name": ["Ada", 'O"Brien'],
            "mrr": pa.array([Decimal("12.50"), None], pa.decimal128(10, 2)),
            "at": pa.array([dt.datetime(2024, 1, 2, tzinfo=dt.UTC), None]),
        }
    )
    # Hashes across the whole unsigned 64-bit range.
    hashes = [0, 2**64 - 1]
    records = [_record(i, row, hashes[i]) for i, row in enumerate(json_rows(batch))]
    names = field_names(batch.schema.names, normalize=normalize)
    assert names is not None
    items = record_texts(batch, names, [record.hash for record in records])
    assert items is not None

    from_values = body("s1", "Sync", records, normalize=normalize, metadata=metadata)
    from_texts = body_of_texts("s1", "Sync", records, items, metadata=metadata)

    assert from_texts == from_values  # the very bytes


def test_names_that_normalize_alike_are_not_shown_twice() -> None:
    assert field_names(["$a", "a", "b"], normalize=True) is None
    assert field_names(["$a", "b"], normalize=True) == ["a", "b"]
    assert field_names(["$a", "a"], normalize=False) == ["$a", "a"]
