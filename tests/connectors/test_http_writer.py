"""The `http` writer against a real HTTP server: events by mode, templates, batches,
per-record results, remote ids, retries, timeouts and idempotency keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.delivery.sender import DeliveryFailed
from syncline.connectors.vocabulary import FieldType
from syncline.connectors.writing import RecordResult
from tests.connectors.http_sync_fixtures import HttpSync
from tests.http_fixtures import Answer, HttpReceiver, Seen, receiving

INSERTED, UPDATED, DELETED = RecordResult.INSERTED, RecordResult.UPDATED, RecordResult.DELETED
SKIPPED, REJECTED, NOT_FOUND = RecordResult.SKIPPED, RecordResult.REJECTED, RecordResult.NOT_FOUND

CONTACTS = {
    "insert": {"path": "/contacts"},
    "update": {
        "path": "/contacts/{{ remote_id }}",
        "body": "{{ record | pick(changed_fields) | tojson }}",
    },
    "delete": {"path": "/contacts/{{ remote_id }}"},
    "remote_id_path": "$.id",
}
"""A REST collection: the API names each contact, later requests use its id."""


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with receiving() as running:
        yield running


def people(*ids: int, domain: str = "example.com") -> list[dict[str, Any]]:
    return [{"id": i, "email": f"p{i}@{domain}"} for i in ids]


def contacts_api(seen: Seen) -> Answer:
    """Creates contacts named `c-<id>`; updates and deletes any."""
    if seen.method == "POST":
        return Answer(201, {"id": f"c-{seen.json()['id']}"})
    if seen.method == "DELETE":
        return Answer(204, b"")
    return Answer(200, {})


def test_create_posts_each_record_once_and_skips_the_known_ones(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    sync = HttpSync(receiver.url + "/v1", tmp_path, {"insert": {"path": "/contacts"}})

    first = sync.write("create", people(1, 2))
    again = sync.write("create", people(1, 2, 3))

    assert first.results == [INSERTED, INSERTED]
    assert again.results == [SKIPPED, SKIPPED, INSERTED]
    got = receiver.requests()
    assert sorted((s.method, s.path, s.json()["id"], s.json()["email"]) for s in got[:2]) == [
        ("POST", "/v1/contacts", 1, "p1@example.com"),
        ("POST", "/v1/contacts", 2, "p2@example.com"),
    ]
    assert [s.json()["id"] for s in got[2:]] == [3]
    assert {s.headers["content-type"] for s in got} == {"application/json"}
    assert all(s.headers["user-agent"].startswith("Syncline/") for s in got)


def test_update_or_create_uses_the_remote_id_and_sends_only_changed_fields(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = contacts_api
    fields = {"id": FieldType.NUMBER, "email": FieldType.STRING, "plan": FieldType.STRING}
    sync = HttpSync(receiver.url, tmp_path, CONTACTS, fields=fields)

    created = sync.write(
        "updateOrCreate",
        [{"id": 1, "email": "a@x.io", "plan": "free"}, {"id": 2, "email": "b@x.io", "plan": "pro"}],
    )
    updated = sync.write("updateOrCreate", [{"id": 1, "email": "a@x.io", "plan": "pro"}])

    assert created.results == [INSERTED, INSERTED]
    assert updated.results == [UPDATED]
    patch = receiver.requests()[-1]
    assert (patch.method, patch.path, patch.json()) == ("PATCH", "/contacts/c-1", {"plan": "pro"})


def test_an_update_template_sees_the_values_last_sent(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    configuration = {
        "update": {
            "path": "/contacts/{{ identity }}",
            "body": '{"from": {{ previous.email | tojson }}, "to": {{ record.email | tojson }}}',
        }
    }
    sync = HttpSync(receiver.url, tmp_path, configuration)

    sync.write("updateOrCreate", people(1))
    result = sync.write("updateOrCreate", people(1, domain="example.org"))

    assert result.results == [UPDATED]
    patch = receiver.requests()[-1]
    assert patch.path == "/contacts/1"
    assert patch.json() == {"from": "p1@example.com", "to": "p1@example.org"}


def test_remove_deletes_by_remote_id_and_forgets_the_record(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = contacts_api
    sync = HttpSync(receiver.url, tmp_path, CONTACTS)
    sync.write("create", people(1, 2))

    removed = sync.write("remove", people(1))
    again = sync.write("remove", people(1))

    assert removed.results == [DELETED]
    assert [(s.method, s.path) for s in receiver.requests()[2:]] == [("DELETE", "/contacts/c-1")]
    # Forgotten: no remote id is known any more, and an empty path value is never sent.
    assert again.results == [REJECTED]
    assert "configuration.delete.path did not render" in again.messages[0]
    assert "empty" in again.messages[0]
    assert len(receiver.requests()) == 3


def test_a_404_to_a_delete_is_not_found(receiver: HttpReceiver, tmp_path: Path) -> None:
    receiver.respond = lambda seen: Answer(404, {"error": "no such contact"})
    sync = HttpSync(receiver.url, tmp_path)

    result = sync.write("remove", people(5))

    assert result.results == [NOT_FOUND]
    assert receiver.requests()[0].method == "DELETE"
    assert receiver.requests()[0].path == "/5"
    assert "no such contact" in result.messages[0]


def test_update_of_an_unknown_record_goes_to_its_identity(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    sync = HttpSync(receiver.url + "/contacts/", tmp_path)

    result = sync.write("update", [{"id": 7, "email": "a b/c@x.io"}])

    assert result.results == [UPDATED]
    seen = receiver.requests()[0]
    assert (seen.method, seen.path) == ("PATCH", "/contacts/7")
    assert seen.json() == {"id": 7, "email": "a b/c@x.io"}


def test_a_path_value_is_url_quoted(receiver: HttpReceiver, tmp_path: Path) -> None:
    configuration = {"update": {"path": "/by-email/{{ record.email }}?plan=pro"}}
    sync = HttpSync(receiver.url, tmp_path, configuration)

    sync.write("update", [{"id": 7, "email": "a b/c?@x.io"}])

    seen = receiver.requests()[0]
    assert seen.path == "/by-email/a b/c?@x.io"
    assert seen.query == {"plan": "pro"}


def test_append_sends_every_record_every_time(receiver: HttpReceiver, tmp_path: Path) -> None:
    sync = HttpSync(receiver.url + "/events", tmp_path, identity=())

    sync.write("append", people(1, 2))
    sync.write("append", people(1, 2))

    assert Counter(s.json()["id"] for s in receiver.requests()) == {1: 2, 2: 2}


def test_a_json_array_batch_holds_batch_size_records(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    configuration = {"insert": {"path": "/bulk", "batch": "json_array", "batch_size": 2}}
    sync = HttpSync(receiver.url, tmp_path, configuration)

    result = sync.write("create", people(1, 2, 3, 4, 5))

    assert result.results == [INSERTED] * 5
    bodies = sorted(([r["id"] for r in s.json()] for s in receiver.requests()), key=min)
    assert bodies == [[1, 2], [3, 4], [5]]
    assert {s.headers["content-type"] for s in receiver.requests()} == {"application/json"}


@pytest.mark.parametrize("batch", ["none", "json_array", "ndjson"])
def test_the_default_body_is_the_record_as_the_template_renders_it(
    receiver: HttpReceiver, tmp_path: Path, batch: str
) -> None:
    # The default body is built in bulk; the same template with a comment is rendered.
    fields = {"id": FieldType.NUMBER, "email": FieldType.STRING, "score": FieldType.NUMBER}
    rows = [
        {"id": 1, "email": 'a"b\\c@x.io', "score": 1.5},
        {"id": 2, "email": "ü@x.io", "score": 2.0},
        {"id": 3, "email": "c@x.io", "score": None},
    ]
    bodies: list[list[bytes]] = []
    for body in (None, "{# rendered #}{{ record | tojson }}"):
        seen = len(receiver.requests())
        insert = {"path": "/c", "batch": batch, **({"body": body} if body else {})}
        sync = HttpSync(
            receiver.url, tmp_path / str(len(bodies)), {"insert": insert}, fields=fields
        )
        assert sync.write("create", rows).results == [INSERTED] * 3
        bodies.append(sorted((s.body for s in receiver.requests()[seen:]), key=len))

    assert bodies[0] == bodies[1]
    assert len(bodies[0]) == (3 if batch == "none" else 1)


def test_an_ndjson_batch_holds_at_most_batch_bytes(receiver: HttpReceiver, tmp_path: Path) -> None:
    configuration = {
        "insert": {"path": "/bulk", "batch": "ndjson", "batch_bytes": 1024, "batch_size": 100}
    }
    sync = HttpSync(receiver.url, tmp_path, configuration)
    rows = [{"id": i, "email": f"{'x' * 300}{i}@x.io"} for i in range(1, 8)]
    rows.append({"id": 99, "email": "y" * 2000})

    result = sync.write("create", rows)

    assert result.results == [INSERTED] * 7 + [REJECTED]
    assert "more than batch_bytes (1024)" in result.messages[7]
    got = receiver.requests()
    assert all(len(s.body) <= 1024 for s in got)
    assert sorted(r["id"] for s in got for r in s.lines()) == list(range(1, 8))
    assert len(got) == 3
    assert {s.headers["content-type"] for s in got} == {"application/x-ndjson"}


def test_one_bad_result_in_a_batch_fails_that_record_only(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    def bulk(seen: Seen) -> Answer:
        if seen.method == "DELETE":
            return Answer(204, b"")
        results = [
            {"error": "email is invalid"} if "bad" in r["email"] else {"id": f"r{r['id']}"}
            for r in seen.json()
        ]
        return Answer(200, {"results": results})

    receiver.respond = bulk
    configuration = {
        "insert": {"path": "/bulk", "batch": "json_array", "batch_size": 100},
        "delete": {"path": "/contacts/{{ remote_id }}"},
        "results_path": "$.results",
        "result_error_path": "$.error",
        "remote_id_path": "$.id",
    }
    sync = HttpSync(receiver.url, tmp_path, configuration)
    rows = people(1, 2, 3)
    rows[1]["email"] = "bad-address"

    result = sync.write("create", rows)
    removed = sync.write("remove", [rows[0], rows[2]])

    assert result.results == [INSERTED, REJECTED, INSERTED]
    assert "email is invalid" in result.messages[1]
    assert removed.results == [DELETED, DELETED]
    assert sorted(s.path for s in receiver.requests() if s.method == "DELETE") == [
        "/contacts/r1",
        "/contacts/r3",
    ]


def test_a_result_status_404_to_a_delete_is_not_found(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(
        200, {"items": [{"status": 200}, {"status": 404}, {"status": 500, "detail": "boom"}]}
    )
    configuration = {
        "delete": {"path": "/bulk-delete", "method": "POST", "body": "{{ identity | tojson }}"},
        "results_path": "$.items",
        "result_ok_path": "$.status",
    }
    configuration["delete"]["batch"] = "json_array"
    sync = HttpSync(receiver.url, tmp_path, configuration)

    result = sync.write("remove", people(1, 2, 3))

    assert result.results == [DELETED, NOT_FOUND, REJECTED]
    assert receiver.requests()[0].json() == [1, 2, 3]
    assert '"detail": "boom"' in result.messages[2]


def test_unreadable_results_count_as_written_with_a_message(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(200, {"results": [{"id": "only-one"}]})
    configuration = {
        "insert": {"batch": "json_array"},
        "results_path": "$.results",
        "remote_id_path": "$.id",
    }
    sync = HttpSync(receiver.url, tmp_path, configuration)

    result = sync.write("create", people(1, 2))

    assert result.results == [INSERTED, INSERTED]
    assert "per-record results could not be read" in result.messages[0]
    assert "holds 1 results for 2 records" in result.messages[0]
    assert [level for level, _ in sync.logged] == ["warning"]


def test_a_record_whose_body_does_not_render_is_set_aside(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    body = '{% if record.id > 5 %}not json{% else %}{"n": {{ 10 // record.id }}}{% endif %}'
    sync = HttpSync(receiver.url, tmp_path, {"insert": {"body": body}})

    result = sync.write("create", [*people(0, 1, 9)])

    assert result.results == [REJECTED, INSERTED, REJECTED]
    assert result.messages[0].startswith("configuration.insert.body did not render")
    assert "ZeroDivisionError" in result.messages[0]
    assert "not JSON" in result.messages[2]
    assert [s.json() for s in receiver.requests()] == [{"n": 10}]


def test_retries_send_the_same_idempotency_key_until_a_success(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    script = {
        "/1": [Answer(500), Answer(502), Answer(429, headers={"Retry-After": "0"}), Answer(200)],
        "/2": [Answer(200)],
    }

    def flaky(seen: Seen) -> Answer:
        answers = script[seen.path]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    receiver.respond = flaky
    sync = HttpSync(receiver.url, tmp_path, {"insert": {"path": "/{{ identity }}"}})

    result = sync.write("create", people(1, 2))

    assert result.results == [INSERTED, INSERTED]
    first = [s.headers["idempotency-key"] for s in receiver.requests("/1")]
    second = [s.headers["idempotency-key"] for s in receiver.requests("/2")]
    assert len(first) == 4
    assert len(set(first)) == 1
    assert second[0] != first[0]


def test_the_same_content_gets_the_same_key_in_another_run(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(503)
    sync = HttpSync(receiver.url, tmp_path, connection={"max_attempts": 2})

    with pytest.raises(DeliveryFailed):
        sync.write("create", people(1))
    receiver.respond = lambda seen: Answer(200)
    sync.write("create", people(1))

    keys = [s.headers["idempotency-key"] for s in receiver.requests()]
    assert len(keys) == 3
    assert len(set(keys)) == 1


def test_retry_after_is_waited_for(receiver: HttpReceiver, tmp_path: Path) -> None:
    answers = [Answer(429, headers={"Retry-After": "1"}), Answer(200)]
    receiver.respond = lambda seen: answers.pop(0)
    sync = HttpSync(receiver.url, tmp_path)

    result = sync.write("create", people(1))

    assert result.results == [INSERTED]
    first, second = receiver.requests()
    assert second.at - first.at >= 0.9


def test_a_final_4xx_is_a_record_error_with_the_answer(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(422, {"error": "email is taken"})
    sync = HttpSync(receiver.url + "/contacts", tmp_path)

    result = sync.write("create", people(1))

    assert result.results == [REJECTED]
    assert result.messages[0].startswith("HTTP 422 from POST http://127.0.0.1:")
    assert "email is taken" in result.messages[0]
    assert len(receiver.requests()) == 1


def test_a_slow_answer_times_out_and_is_sent_again(receiver: HttpReceiver, tmp_path: Path) -> None:
    answers = [Answer(200, delay=3), Answer(200)]
    receiver.respond = lambda seen: answers.pop(0)
    sync = HttpSync(receiver.url, tmp_path, connection={"read_timeout": 0.3})

    result = sync.write("create", people(1))

    assert result.results == [INSERTED]
    keys = {s.headers["idempotency-key"] for s in receiver.requests()}
    assert len(receiver.requests()) == 2
    assert len(keys) == 1


def test_an_endpoint_that_never_answers_stops_the_run(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(200, delay=3)
    sync = HttpSync(receiver.url, tmp_path, connection={"read_timeout": 0.2, "max_attempts": 2})

    with pytest.raises(DeliveryFailed, match="no answer within the read timeout"):
        sync.write("create", people(1))


def test_success_statuses_and_retryable_statuses_are_the_syncs(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    answers = [Answer(409), Answer(202)]
    receiver.respond = lambda seen: answers.pop(0)
    configuration = {"success_statuses": [200, 201], "retryable_statuses": [409]}
    sync = HttpSync(receiver.url, tmp_path, configuration)

    result = sync.write("create", people(1))

    assert result.results == [REJECTED]
    assert result.messages[0].startswith("HTTP 202")
    assert len(receiver.requests()) == 2


def test_recorded_requests_show_the_request_and_the_answer(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(201, {"id": "c-1"})
    sync = HttpSync(receiver.url, tmp_path, {"record_requests": True})

    result = sync.write("create", people(1), test=True)

    message = result.messages[0]
    assert message.startswith("POST http://127.0.0.1:")
    assert "-> 201" in message
    assert '"email":"p1@example.com"' in message
    assert '"id": "c-1"' in message
    assert sync.logged == [("info", message)]
