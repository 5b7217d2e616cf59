"""The http destination through every fault the receiver injects: each record lands
exactly once at a deduplicating receiver, one request per record or in batches, and a
record an API refuses inside a 200 is an error on that record only, sent again next run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.http import HttpConfig, HttpConnector
from syncline.engine.run import run_sync
from syncline.engine.spec import RunSpec
from tests.engine.memory import MemorySource, RecordingHooks
from tests.engine.support import PEOPLE, make_spec, people
from tests.receivers import ReceivedRequest, Receiver, Reply, inject_every_fault

BATCHING = {
    "one request per record": {"batch": "none"},
    "JSON arrays": {"batch": "json_array", "batch_size": 25},
    "NDJSON": {"batch": "ndjson", "batch_size": 25},
}


def connector(receiver: Receiver) -> HttpConnector:
    config = {"base_url": receiver.url, "read_timeout": 2, "max_attempts": 6, "concurrency": 4}
    return HttpConnector(HttpConfig.model_validate(config))


def spec(tmp_path: Path, batching: dict[str, Any]) -> RunSpec:
    return make_spec(
        tmp_path / "state",
        target_object="http",
        batch_size=1000,
        target_configuration={
            "insert": {"method": "POST", "path": "/people", **batching},
            "results_path": "$.results",
            "result_error_path": "$.error",
        },
    )


def run(run_spec: RunSpec, rows: list[dict[str, Any]], target: HttpConnector) -> RecordingHooks:
    hooks = RecordingHooks()
    run_sync(run_spec, MemorySource(PEOPLE, rows), target, hooks)
    return hooks


def delivered_ids(receiver: Receiver) -> Counter[int]:
    return Counter(record["id"] for request in receiver.accepted() for record in request.delivered)


@pytest.mark.parametrize("batching", BATCHING.values(), ids=BATCHING.keys())
def test_every_fault_is_survived_with_each_record_delivered_once(
    receiver: Receiver, tmp_path: Path, batching: dict[str, Any]
) -> None:
    inject_every_fault(receiver, slow=3)  # the read timeout is 2 s

    hooks = run(spec(tmp_path, batching), people(*range(1, 201)), connector(receiver))

    delivered = delivered_ids(receiver)
    assert sorted(delivered) == list(range(1, 201))
    assert set(delivered.values()) == {1}
    assert receiver.pending_faults() == 0
    assert len(receiver.received()) > len(receiver.accepted())
    assert hooks.kinds("errors") == []


def test_a_record_refused_inside_a_200_is_an_error_on_that_record_only(
    receiver: Receiver, tmp_path: Path
) -> None:
    def refuse_person_7(request: ReceivedRequest) -> Reply | None:
        records = request.records
        results = [
            {"error": "email is invalid"} if record["id"] == 7 else {"error": None}
            for record in records
        ]
        rejected = {i for i, record in enumerate(records) if record["id"] == 7}
        return Reply(200, json={"results": results}, rejected=frozenset(rejected))

    receiver.on_request(refuse_person_7)
    batched = spec(tmp_path, BATCHING["JSON arrays"])
    first = run(batched, people(*range(1, 101)), connector(receiver))
    assert first.kinds("errors") == ["7"]
    [message] = [m for kind, _, _, m in first.reported if kind == "errors"]
    assert message is not None
    assert "email is invalid" in message
    assert len(first.kinds("inserts")) == 99

    receiver.on_request(None)
    second = run(batched, people(*range(1, 101)), connector(receiver))
    assert second.kinds("inserts") == ["7"]
    delivered = delivered_ids(receiver)
    assert sorted(delivered) == list(range(1, 101))
    assert set(delivered.values()) == {1}
