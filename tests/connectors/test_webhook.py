"""The webhook destination driven by the engine against a real receiver (tests/receivers.py).

Polytomic's contract (body, headers, batching, field names), the signatures,
and delivery that loses and duplicates nothing at a deduplicating receiver
through every fault the receiver can inject.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.calls import CallLimits
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.webhook import WebhookConfig, WebhookConnector
from syncline.connectors.writing import (
    CommitMark,
    KeyedWriter,
    RecordKeys,
    RecordResult,
    SyncContext,
    WriteColumn,
    WritePlan,
)
from syncline.engine.run import run_sync
from syncline.engine.spec import FieldMapping, RunCanceled, RunSpec
from syncline.errors import ConnectorError
from tests.engine.memory import MemorySource, RecordingHooks
from tests.engine.support import PEOPLE, make_spec, people, person, with_options
from tests.receivers import ReceivedRequest, Receiver, Reply, inject_every_fault, wait_for

SECRET = "whsec_c3luY2xpbmUtd2ViaG9vay10ZXN0LXNlY3JldC0xMjM0"


def connector(receiver: Receiver, **options: Any) -> WebhookConnector:
    config = {
        "url": receiver.url_for("/hook"),
        "secret": SECRET,
        "read_timeout": 2,
        "max_attempts": 6,
        **options,
    }
    return WebhookConnector(WebhookConfig.model_validate(config))


def spec(tmp_path: Path, **configuration: Any) -> RunSpec:
    return make_spec(
        tmp_path / "state",
        target_object="http",
        batch_size=1000,
        sync_name="People to the webhook",
        target_configuration={"batch_size": 100, **configuration},
    )


def run(run_spec: RunSpec, rows: list[dict[str, Any]], target: WebhookConnector) -> RecordingHooks:
    hooks = RecordingHooks()
    run_sync(run_spec, MemorySource(PEOPLE, rows), target, hooks)
    return hooks


def fields_by_id(receiver: Receiver) -> dict[int, list[dict[str, Any]]]:
    """Every delivered record's fields, by person id (a list: a duplicate shows twice)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for record in receiver.records():
        found.setdefault(record["fields"]["id"], []).append(record["fields"])
    return found


def test_records_arrive_in_polytomic_batches_signed_and_authenticated(
    receiver: Receiver, tmp_path: Path
) -> None:
    run(spec(tmp_path), people(*range(1, 251)), connector(receiver))

    # Requests go out concurrently: in order of their first record, not of arrival.
    requests = sorted(receiver.accepted(), key=lambda r: r.records[0]["fields"]["id"])
    assert [len(r.records) for r in requests] == [100, 100, 50]
    first = requests[0]
    assert first.method == "POST"
    assert first.path == "/hook"
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Authorization"] == f"Bearer {SECRET}"
    assert first.headers["User-Agent"].startswith("Syncline/")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.headers["Polytomic-Signature-Timestamp"]
    )
    assert first.data["event"] == "sync.records"
    assert first.data["object"]["id"] == "sync-1"
    assert first.data["object"]["name"] == "People to the webhook"
    record = first.data["object"]["records"][0]
    assert record["fields"] == {"id": 1, "name": "p1", "age": 1}
    assert re.fullmatch(r"[0-9a-f]{16}", record["hash"])
    assert receiver.verify(SECRET, signed="decoded") == []
    assert first.headers["webhook-id"] == first.key
    assert sorted(fields_by_id(receiver)) == list(range(1, 251))


def test_a_wrong_secret_does_not_verify(receiver: Receiver, tmp_path: Path) -> None:
    run(spec(tmp_path), people(1, 2), connector(receiver))
    other = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="
    assert len(receiver.verify(other, signed="decoded")) == len(receiver.received()) == 1


def test_field_names_are_normalized_unless_the_sync_says_not_to(
    receiver: Receiver, tmp_path: Path
) -> None:
    mappings = (FieldMapping("$first name!", source="name"), FieldMapping("id", source="id"))
    normal = replace(spec(tmp_path), mappings=mappings)
    run(normal, people(1), connector(receiver))
    assert receiver.records()[0]["fields"] == {"first name": "p1", "id": 1}

    raw = replace(
        spec(tmp_path / "raw", normalize_field_names=False, metadata={"team": "revops"}),
        mappings=mappings,
    )
    run(raw, people(2), connector(receiver))
    last = receiver.accepted()[-1]
    assert last.records[0]["fields"] == {"$first name!": "p2", "id": 2}
    assert last.data["metadata"] == {"team": "revops"}


def test_a_second_run_sends_only_what_changed_as_updates(
    receiver: Receiver, tmp_path: Path
) -> None:
    target = connector(receiver)
    first = run(spec(tmp_path), people(1, 2, 3), target)
    assert sorted(first.kinds("inserts")) == ["1", "2", "3"]
    changed = [person(1), person(2, name="renamed"), person(3), person(4)]
    second = run(spec(tmp_path), changed, target)
    assert second.kinds("updates") == ["2"]
    assert second.kinds("inserts") == ["4"]
    assert [r["fields"]["id"] for r in receiver.accepted()[-1].records] == [2, 4]


def test_every_fault_is_survived_with_each_record_delivered_once(
    receiver: Receiver, tmp_path: Path
) -> None:
    inject_every_fault(receiver, slow=3)  # the read timeout is 2 s

    hooks = run(spec(tmp_path), people(*range(1, 1001)), connector(receiver, concurrency=4))

    delivered = fields_by_id(receiver)
    assert sorted(delivered) == list(range(1, 1001))
    assert all(len(copies) == 1 for copies in delivered.values())
    assert len(receiver.received()) > len(receiver.accepted())  # the faults were really met
    assert receiver.pending_faults() == 0
    assert sorted(hooks.kinds("inserts"), key=int) == [str(i) for i in range(1, 1001)]
    assert hooks.kinds("errors") == []


def test_an_endpoint_that_stays_down_fails_the_run_and_the_next_run_sends_the_rest(
    receiver: Receiver, tmp_path: Path
) -> None:
    target = connector(receiver, max_attempts=2, concurrency=1)
    receiver.fail(503, times=2, when=lambda request: request.records[0]["fields"]["id"] == 201)
    with pytest.raises(ConnectorError, match=r"HTTP 503") as failed:
        run(spec(tmp_path), people(*range(1, 401)), target)
    assert "failed 2 times" in failed.value.message

    run(spec(tmp_path), people(*range(1, 401)), target)
    delivered = fields_by_id(receiver)
    assert sorted(delivered) == list(range(1, 401))
    assert all(len(copies) == 1 for copies in delivered.values())


def test_a_refused_request_is_a_record_error_sent_again_next_run(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail(
        422,
        json_body={"error": "email is invalid"},
        when=lambda request: request.records[0]["fields"]["id"] == 1,
    )
    target = connector(receiver)
    first = run(spec(tmp_path, batch_size=2), people(1, 2, 3), target)
    assert first.kinds("errors") == ["1", "2"]
    message = next(m for kind, _, _, m in first.reported if kind == "errors")
    assert message is not None
    assert message.startswith(f"HTTP 422 from POST {receiver.url}/hook")
    assert "email is invalid" in message

    second = run(spec(tmp_path, batch_size=2), people(1, 2, 3), target)
    assert sorted(second.kinds("inserts")) == ["1", "2"]
    assert sorted(fields_by_id(receiver)) == [1, 2, 3]


def test_recorded_requests_go_to_the_record_logs_without_secrets(
    receiver: Receiver, tmp_path: Path
) -> None:
    target = connector(receiver, headers=[{"name": "X-Api-Key", "value": "topsecretvalue"}])
    hooks = run(spec(tmp_path, record_requests=True), people(1), target)
    assert receiver.received()[0].headers["X-Api-Key"] == "topsecretvalue"
    [(kind, _, _, message)] = hooks.reported
    assert kind == "inserts"
    assert message is not None
    assert f"POST {receiver.url}/hook -> 200" in message
    assert '"name":"p1"' in message
    assert "topsecretvalue" not in message
    assert SECRET not in message


def test_a_test_run_shows_each_request_and_response_in_the_console(
    receiver: Receiver, tmp_path: Path
) -> None:
    test_run = with_options(spec(tmp_path), only_identities=("2",))
    hooks = run(test_run, people(1, 2, 3), connector(receiver))
    shown = [message for level, message in hooks.logs if "-> 200" in message]
    assert len(shown) == 1
    assert '"id":2' in shown[0]
    assert [r["fields"]["id"] for r in receiver.records()] == [2]


def test_a_cancel_interrupts_requests_an_endpoint_never_answers(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.hold()
    target = connector(receiver, read_timeout=600)
    cancel = threading.Event()
    target.limit_calls(CallLimits(cancelled=cancel.is_set))
    outcome: list[BaseException] = []

    def sync() -> None:
        try:
            run(spec(tmp_path), people(*range(1, 300)), target)
        except BaseException as error:  # noqa: BLE001 - the test reads it
            outcome.append(error)

    runner = threading.Thread(target=sync)
    runner.start()
    wait_for(lambda: receiver.in_flight > 0)
    cancel.set()
    runner.join(timeout=60)
    receiver.release()
    assert not runner.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RunCanceled)


def test_the_signature_timestamp_is_the_attempt_time(receiver: Receiver, tmp_path: Path) -> None:
    receiver.fail(500)
    run(spec(tmp_path), people(1), connector(receiver))
    first, second = receiver.received()
    assert first.key == second.key
    stamps = [int(r.headers["webhook-timestamp"]) for r in (first, second)]
    assert stamps[1] >= stamps[0]
    assert abs(datetime.now().timestamp() - stamps[1]) < 300


@pytest.mark.parametrize(
    ("method", "settings", "expect"),
    [
        (
            "basic",
            {"basic": {"username": "ann", "password": "pw-secret-1"}},
            ("Authorization", "Basic YW5uOnB3LXNlY3JldC0x"),
        ),
        (
            "header",
            {"header": {"name": "X-Api-Key", "value": "key-secret-2"}},
            ("X-Api-Key", "key-secret-2"),
        ),
        ("query", {"query": [{"name": "token", "value": "q-secret-3"}]}, ("?token", "q-secret-3")),
    ],
)
def test_each_polytomic_auth_method_authenticates_every_request(
    receiver: Receiver,
    tmp_path: Path,
    method: str,
    settings: dict[str, Any],
    expect: tuple[str, str],
) -> None:
    run(spec(tmp_path), people(1), connector(receiver, auth_method=method, **settings))
    [request] = receiver.received()
    name, value = expect
    if name.startswith("?"):
        assert request.query[name[1:]] == value
    else:
        assert request.headers[name] == value
    # Another method replaces the bearer secret; the signature still uses the secret.
    assert SECRET not in request.headers.get("Authorization", "")
    assert receiver.verify(SECRET, signed="decoded") == []


def test_oauth_client_credentials_fetch_a_token_and_use_it(
    receiver: Receiver, tmp_path: Path
) -> None:
    def answer(request: ReceivedRequest) -> Reply | None:
        if request.path == "/token":
            return Reply(
                200, json={"access_token": "tok-123", "expires_in": 3600, "token_type": "Bearer"}
            )
        return None

    receiver.on_request(answer)
    oauth = {
        "client_id": "syncline",
        "client_secret": "client-secret-4",
        "token_endpoint": receiver.url_for("/token"),
    }
    target = connector(receiver, auth_method="oauth_client_credentials", oauth=oauth)
    run(spec(tmp_path), people(1, 2, 3), target)
    token_requests = [r for r in receiver.received() if r.path == "/token"]
    hooks = [r for r in receiver.received() if r.path == "/hook"]
    assert len(token_requests) == 1
    assert b"client-secret-4" in token_requests[0].body
    assert [r.headers["Authorization"] for r in hooks] == ["Bearer tok-123"]


def test_a_huge_answer_is_read_only_in_part(receiver: Receiver, tmp_path: Path) -> None:
    receiver.on_request(lambda request: Reply(422, body=b"x" * (12 * 1024 * 1024)))
    hooks = run(spec(tmp_path), people(1), connector(receiver))
    [(kind, _, _, message)] = hooks.reported
    assert kind == "errors"
    assert message is not None
    assert message.startswith("HTTP 422 from POST")
    assert len(message) < 1000


def test_each_answered_request_leaves_one_commit_marker_for_crash_recovery(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail(422, when=lambda request: request.records[0]["fields"]["id"] == 101)
    target = connector(receiver)
    target.attach(SyncContext("sync-1", "execution-1", tmp_path / "memory"))
    columns = tuple(WriteColumn(name, PEOPLE.field(name).type) for name in PEOPLE.names)
    plan = WritePlan(
        "http",
        SyncMode.UPDATE_OR_CREATE,
        columns,
        configuration={"batch_size": 100},
        mark=CommitMark("sync-1", "execution-1"),
    )
    batch = pa.RecordBatch.from_pylist(people(*range(1, 251)), schema=PEOPLE)
    keys = RecordKeys([str(i) for i in range(1, 251)], list(range(1, 251)))
    with target.open_writer(plan) as writer:
        assert isinstance(writer, KeyedWriter)
        writer.write(batch, 7, keys=keys)
    ledger = target.commit_ledger("http")
    assert ledger is not None
    [committed] = ledger.committed("sync-1", ["execution-1"])
    assert committed.batch == 7
    assert sorted(committed.outcomes) == [
        (0, 100, RecordResult.INSERTED),
        (100, 100, RecordResult.REJECTED),
        (200, 50, RecordResult.INSERTED),
    ]
