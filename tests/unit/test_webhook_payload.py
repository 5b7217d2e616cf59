"""The webhook body: Polytomic's `sync.records` document, for any values a record holds."""

from __future__ import annotations

import json

from syncline.connectors.delivery.records import Event, Record
from syncline.connectors.webhook.payload import body


def _record(index: int, values: dict[str, object]) -> Record:
    return Record(index, str(index), 0xABC + index, dict(values), Event.INSERT)


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
