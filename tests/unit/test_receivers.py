"""The test receiver (tests/receivers.py) behaves like a real deduplicating API, faults included."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.receivers import (
    ReceivedRequest,
    Receiver,
    Reply,
    echo_ids,
    standard_webhook_headers,
    wait_for,
)

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM="  # base64 of "secret-key-for-tests"


def _webhook_body(*emails: str) -> bytes:
    records = [{"hash": f"h{i}", "fields": {"email": e}} for i, e in enumerate(emails)]
    payload = {"event": "sync.records", "object": {"id": "s1", "name": "s", "records": records}}
    return json.dumps(payload).encode()


def _post_gzip(url: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        url,
        content=gzip.compress(body),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json", **headers},
        timeout=10,
    )


def test_it_keeps_method_path_query_headers_and_decodes_a_gzipped_webhook(
    receiver: Receiver,
) -> None:
    body = _webhook_body("a@example.com", "b@example.com")
    response = _post_gzip(receiver.url_for("/hooks/in?x=1"), body, **{"X-Test": "yes"})
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    (request,) = receiver.received()
    assert (request.method, request.path, request.query["x"]) == ("POST", "/hooks/in", "1")
    assert request.headers["x-test"] == "yes"
    assert gzip.decompress(request.raw) == body == request.body
    assert [r["fields"]["email"] for r in receiver.records()] == ["a@example.com", "b@example.com"]
    assert request.arrived <= time.time()
    assert request.arrived_monotonic <= time.monotonic()


def test_it_lists_the_records_of_arrays_ndjson_and_single_objects(receiver: Receiver) -> None:
    httpx.put(receiver.url_for("/a"), json=[{"id": 1}, {"id": 2}])
    httpx.post(
        receiver.url_for("/b"),
        content=b'{"id": 3}\n{"id": 4}\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    httpx.patch(receiver.url_for("/c/5"), json={"id": 5})
    httpx.delete(receiver.url_for("/c/6"))
    assert receiver.records() == [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}]
    assert [r.method for r in receiver.received()] == ["PUT", "POST", "PATCH", "DELETE"]


def test_a_repeated_idempotency_key_is_replayed_and_takes_effect_once(receiver: Receiver) -> None:
    receiver.respond(json_body=echo_ids())
    first = httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k1"})
    again = httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k1"})
    other = httpx.post(receiver.url, json={"n": 2}, headers={"Idempotency-Key": "k2"})
    assert first.json() == again.json() == {"id": "r1"}
    assert other.json() == {"id": "r2"}
    assert [r.outcome for r in receiver.received()] == ["accepted", "replayed", "accepted"]
    assert [r.key for r in receiver.accepted()] == ["k1", "k2"]


def test_the_key_header_name_is_configurable(receivers: Callable[..., Receiver]) -> None:
    receiver = receivers(key_header="X-Request-Key")
    for _ in range(2):
        httpx.post(receiver.url, json={}, headers={"X-Request-Key": "same"})
    assert len(receiver.accepted()) == 1


def test_a_429_with_retry_after_does_not_take_effect(receiver: Receiver) -> None:
    receiver.fail(status=429, headers={"Retry-After": "1"})
    refused = httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k"})
    retried = httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k"})
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    assert retried.status_code == 200
    assert [r.outcome for r in receiver.received()] == ["failed", "accepted"]


@pytest.mark.parametrize("status", [500, 502])
def test_a_server_error_before_processing_leaves_nothing(receiver: Receiver, status: int) -> None:
    receiver.fail(status=status, times=2)
    codes = [httpx.post(receiver.url, json={}).status_code for _ in range(3)]
    assert codes == [status, status, 200]
    assert len(receiver.accepted()) == 1


def test_a_server_error_after_processing_is_replayed_as_success(receiver: Receiver) -> None:
    receiver.fail(status=500, processed=True)
    first = httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"})
    retry = httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"})
    assert (first.status_code, retry.status_code) == (500, 200)
    assert [r.outcome for r in receiver.received()] == ["accepted", "replayed"]


def test_faults_apply_only_to_matching_requests(receiver: Receiver) -> None:
    receiver.fail(status=503, method="POST", path="/slow")
    assert httpx.get(receiver.url_for("/slow")).status_code == 200
    assert httpx.post(receiver.url_for("/other")).status_code == 200
    assert receiver.pending_faults() == 1
    assert httpx.post(receiver.url_for("/slow")).status_code == 503
    assert receiver.pending_faults() == 0


def test_a_slow_answer_times_the_client_out_but_the_request_took_effect(
    receiver: Receiver,
) -> None:
    receiver.delay(5.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"}, timeout=0.2)
    retry = httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"}, timeout=10)
    assert retry.status_code == 200
    assert [r.outcome for r in receiver.received()] == ["accepted", "replayed"]


def test_a_reset_before_processing_loses_the_request(receiver: Receiver) -> None:
    receiver.reset()
    with pytest.raises(httpx.TransportError):
        httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"})
    assert receiver.accepted() == []
    assert receiver.received()[0].outcome == "reset"
    assert receiver.received()[0].status is None


def test_a_reset_after_processing_took_effect_and_a_retry_is_not_counted_again(
    receiver: Receiver,
) -> None:
    receiver.reset(processed=True)
    with pytest.raises(httpx.TransportError):
        httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k"})
    retry = httpx.post(receiver.url, json={"n": 1}, headers={"Idempotency-Key": "k"})
    assert retry.status_code == 200
    assert [r.outcome for r in receiver.received()] == ["accepted", "replayed"]
    assert receiver.records() == [{"n": 1}]


def test_a_malformed_answer_is_a_200_that_is_not_json(receiver: Receiver) -> None:
    receiver.malformed()
    response = httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"}).json() == {
        "ok": True
    }


def test_a_malformed_answer_can_come_before_processing(receiver: Receiver) -> None:
    receiver.malformed(processed=False)
    assert httpx.post(receiver.url, json={}).status_code == 200
    assert receiver.received()[0].outcome == "failed"
    assert receiver.accepted() == []


def test_a_hook_answers_per_record_results_inside_a_200(receiver: Receiver) -> None:
    def per_record(request: ReceivedRequest) -> Reply:
        results = [
            {"ok": True, "id": f"r{i}"}
            if "@" in r["email"]
            else {"ok": False, "error": "bad email"}
            for i, r in enumerate(request.records, 1)
        ]
        return Reply(json={"results": results})

    receiver.on_request(per_record)
    response = httpx.post(receiver.url, json=[{"email": "a@x.io"}, {"email": "nope"}])
    assert response.json() == {
        "results": [{"ok": True, "id": "r1"}, {"ok": False, "error": "bad email"}]
    }


def test_records_rejected_one_by_one_inside_a_200_are_not_delivered(receiver: Receiver) -> None:
    receiver.on_request(lambda request: Reply(json={"results": []}, rejected=frozenset({1})))
    httpx.post(receiver.url, json=[{"n": 1}, {"n": 2}, {"n": 3}])
    assert receiver.records() == [{"n": 1}, {"n": 3}]
    assert len(receiver.records(everything=True)) == 3


def test_a_non_2xx_from_the_hook_does_not_take_effect_nor_keep_the_key(
    receiver: Receiver,
) -> None:
    receiver.on_request(lambda request: Reply(status=422, json={"error": "no"}))
    assert httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"}).status_code == 422
    receiver.on_request(None)
    assert httpx.post(receiver.url, json={}, headers={"Idempotency-Key": "k"}).status_code == 200
    assert [r.outcome for r in receiver.received()] == ["rejected", "accepted"]


def test_echo_ids_can_take_the_id_from_a_field(receivers: Callable[..., Receiver]) -> None:
    receiver = receivers(json_body=echo_ids(prefix="c-", field_name="email"))
    response = _post_gzip(receiver.url, _webhook_body("a@x.io", "b@x.io"))
    assert response.json() == {
        "results": [{"ok": True, "id": "c-a@x.io"}, {"ok": True, "id": "c-b@x.io"}]
    }


def test_arrivals_are_counted_per_wall_clock_second(receiver: Receiver) -> None:
    with httpx.Client() as client:
        for _ in range(5):
            client.post(receiver.url, json={})
    seconds = {int(r.arrived) for r in receiver.received()}
    counts = receiver.per_second()
    assert set(counts) == seconds
    assert sum(counts.values()) == 5


def test_the_most_arrivals_in_a_sliding_window_are_counted(receiver: Receiver) -> None:
    with httpx.Client() as client:
        for _ in range(3):
            client.post(receiver.url, json={})
    moments = [r.arrived_monotonic for r in receiver.received()]
    assert receiver.most_in_window(moments[-1] - moments[0] + 1.0) == 3
    assert receiver.most_in_window(1e-9) == 1


def test_the_peak_of_requests_in_flight_is_measured(receiver: Receiver) -> None:
    receiver.hold()
    threads = [
        threading.Thread(target=httpx.post, args=(receiver.url,), kwargs={"timeout": 30})
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    wait_for(lambda: receiver.in_flight == 4)
    receiver.release()
    for thread in threads:
        thread.join()
    assert receiver.peak_in_flight == 4
    assert receiver.in_flight == 0
    assert [r.status for r in receiver.received()] == [200] * 4


def test_latency_slows_every_answer_after_processing(receivers: Callable[..., Receiver]) -> None:
    receiver = receivers(latency=5.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(receiver.url, json={}, timeout=0.2)
    assert len(receiver.accepted()) == 1


def test_standard_webhook_signatures_are_verified(receiver: Receiver) -> None:
    body = _webhook_body("a@example.com")
    _post_gzip(receiver.url, body, **standard_webhook_headers(SECRET, body, "msg_1"))
    _post_gzip(receiver.url, body, **standard_webhook_headers("whsec_b3RoZXI=", body, "msg_2"))
    _post_gzip(receiver.url, body)
    failed = receiver.signature_problems(SECRET)
    assert [(r.seq, problem) for r, problem in failed] == [
        (2, "no signature matches (1 offered)"),
        (3, "missing webhook-id, webhook-timestamp or webhook-signature"),
    ]
    assert [r.seq for r in receiver.verify(SECRET, signed="wire")] == [1, 2, 3]


def test_a_plain_secret_is_used_as_its_bytes(receiver: Receiver) -> None:
    body = b'{"n": 1}'
    headers = standard_webhook_headers("plain-secret", body, "msg_1")
    httpx.post(receiver.url, content=body, headers={"Content-Type": "application/json", **headers})
    assert receiver.verify("plain-secret") == []


def test_wait_for_returns_the_value_or_fails_naming_the_predicate() -> None:
    assert wait_for(lambda: [1], timeout=1) == [1]
    with pytest.raises(AssertionError, match=r"not true within 0\.05 s"):
        wait_for(lambda: False, timeout=0.05)
