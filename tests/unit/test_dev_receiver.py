"""The dev receiver's parts: signatures (against the reference package), bodies, printed lines."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from syncline.devtools.bodies import (
    LIMIT,
    Parsed,
    TooLarge,
    Undecodable,
    decode,
    parse,
    records_of,
)
from syncline.devtools.receiver import Arrival, ReceiverOptions, first_fields
from syncline.devtools.signatures import bearer_matches, sign, signing_key, verify
from syncline.errors import BadRequest

BODY = b'{"event": "sync.records"}'


def _headers(secret: str | bytes, at: float, msg_id: str = "msg_1") -> dict[str, str]:
    stamp = datetime.fromtimestamp(int(at), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, BODY),
    }


@pytest.mark.parametrize(
    ("secret", "reference"),
    [("whsec_c2VjcmV0LWtleQ==", "whsec_c2VjcmV0LWtleQ=="), ("plain-secret", b"plain-secret")],
)
def test_signatures_agree_with_the_reference_package(secret: str, reference: str | bytes) -> None:
    now = time.time()
    verdict = verify(signing_key(secret), _headers(reference, now), [("wire", BODY)], now)
    assert (verdict.ok, verdict.reason, verdict.signed) == (True, "signature ok", "wire")


def test_one_of_several_signatures_is_enough_for_key_rotation() -> None:
    now = time.time()
    headers = _headers(b"new-key", now)
    headers["webhook-signature"] = "v1,b2xkLXNpZ25hdHVyZQ== " + headers["webhook-signature"]
    assert verify(b"new-key", headers, [("wire", BODY)], now).ok


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (-301, "signature timestamp older than 5 minutes"),
        (301, "signature timestamp more than 5 minutes ahead"),
    ],
)
def test_a_timestamp_more_than_5_minutes_away_is_refused(offset: int, reason: str) -> None:
    now = time.time()
    verdict = verify(b"k", _headers(b"k", now + offset), [("wire", BODY)], now)
    assert (verdict.ok, verdict.reason) == (False, reason)


def test_a_changed_body_or_missing_headers_do_not_verify() -> None:
    now = time.time()
    headers = _headers(b"k", now)
    assert verify(b"k", headers, [("wire", BODY + b" ")], now).reason == "bad signature"
    assert verify(b"k", {}, [("wire", BODY)], now).reason == "no signature"
    assert sign(b"k", "msg_1", headers["webhook-timestamp"], BODY) == headers["webhook-signature"]


def test_a_bad_whsec_secret_is_refused() -> None:
    with pytest.raises(BadRequest, match="base64"):
        signing_key("whsec_***")
    with pytest.raises(BadRequest, match="empty"):
        ReceiverOptions(secret="")


def test_the_bearer_secret_is_compared() -> None:
    assert bearer_matches("Bearer s3cret", "s3cret") == "ok"
    assert bearer_matches("Bearer other", "s3cret") == "mismatch"
    assert bearer_matches(None, "s3cret") == "missing"


def test_gzip_is_bounded_once_decoded_and_must_be_whole() -> None:
    assert decode(gzip.compress(BODY), "gzip") == BODY
    with pytest.raises(TooLarge):
        decode(gzip.compress(b" " * (LIMIT + 1)), "gzip")
    with pytest.raises(Undecodable, match="cut short"):
        decode(gzip.compress(BODY)[:-12], "gzip")
    with pytest.raises(Undecodable, match="br"):
        decode(BODY, "br")


def test_bodies_are_parsed_by_type_and_sniffed_without_one() -> None:
    assert parse(b'[{"a": 1}]', "application/json; charset=utf-8") == Parsed("json", [{"a": 1}])
    assert parse(b'{"a": 1}\n{"a": 2}', "application/x-ndjson").data == [{"a": 1}, {"a": 2}]
    assert parse(b'{"a": 1}\n{"a": 2}', None) == Parsed("ndjson", [{"a": 1}, {"a": 2}])
    assert parse(b"hello", "text/plain") == Parsed("text")
    assert parse(b"", "application/json") == Parsed("empty")
    with pytest.raises(Undecodable, match="not JSON"):
        parse(b"{", "application/json")


def test_records_come_from_the_webhook_shape_arrays_and_single_objects() -> None:
    webhook = {"event": "sync.records", "object": {"records": [{"fields": {"a": 1}}]}}
    assert records_of(Parsed("json", webhook)) == [{"fields": {"a": 1}}]
    assert records_of(Parsed("json", [1, 2])) == [1, 2]
    assert records_of(Parsed("json", {"a": 1})) == [{"a": 1}]
    assert records_of(Parsed("text")) is None


def test_the_first_record_is_shortened_to_one_line() -> None:
    shown = first_fields({"hash": "h", "fields": {"email": "a@x.io", "bio": "x" * 100, "n": 2}})
    assert shown == f"email=a@x.io, bio={'x' * 39}…, n=2"
    assert len(first_fields({f"f{i}": "v" * 30 for i in range(20)})) == 160


def test_an_arrival_prints_one_line_and_one_json_object() -> None:
    arrival = Arrival(
        at=0.0,
        method="POST",
        path="/hooks",
        query="",
        status=200,
        size=2048,
        content_type="application/json",
        content_encoding="gzip",
        body="json",
        records=[{"fields": {"email": "a@x.io"}}],
        signature="signature ok",
        signature_ok=True,
        signed_body="wire",
        bearer="ok",
    )
    first, second = arrival.line().split("\n")
    assert first.endswith(
        "POST /hooks  -> 200  1 record (json, 2.0 KiB, gzip)"
        "  signature ok (over the gzipped bytes)  bearer ok"
    )
    assert second == "    first: email=a@x.io"
    shown = json.loads(arrival.as_json())
    assert (shown["records"], shown["signature_ok"], shown["bytes"]) == (1, True, 2048)
