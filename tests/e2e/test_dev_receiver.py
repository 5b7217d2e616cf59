"""`syncline dev receiver` as a subprocess: what it prints and answers for real requests."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.receivers import wait_for

SECRET = "whsec_" + "ZGV2LXJlY2VpdmVyLXRlc3Qta2V5"  # base64 of "dev-receiver-test-key"
PATIENCE = 60.0


class Printed:
    """A running `syncline dev receiver` and the lines it printed so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def wait_line(self, pattern: str, after: int = 0) -> tuple[int, str]:
        """The first line from index `after` on that matches `pattern` (a regex), and its index."""

        def found() -> tuple[int, str] | None:
            for index, line in enumerate(self.lines()[after:], after):
                if re.search(pattern, line):
                    return index, line
            if self.process.poll() is not None:
                raise AssertionError(f"the receiver exited: {self.lines()}")
            return None

        result: tuple[int, str] = wait_for(found, timeout=PATIENCE)
        return result

    @property
    def url(self) -> str:
        _, line = self.wait_line(r"^Receiving at ")
        found = re.search(r"http://\S+/", line)
        assert found, line
        return found.group(0)


@contextmanager
def dev_receiver(*args: str) -> Iterator[Printed]:
    """`syncline dev receiver --port 0 <args>` until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "syncline.cli", "dev", "receiver", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield Printed(process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def checking() -> Iterator[Printed]:
    """A receiver that checks signatures and the bearer token with SECRET."""
    with dev_receiver("--secret", SECRET) as printed:
        yield printed


def _webhook(*emails: str) -> bytes:
    records = [
        {"hash": f"h{i}", "fields": {"email": e, "plan": "pro"}} for i, e in enumerate(emails)
    ]
    payload = {"event": "sync.records", "object": {"id": "s1", "name": "Users", "records": records}}
    return json.dumps(payload).encode()


def _signed(
    body: bytes, msg_id: str, secret: str = SECRET, at: float | None = None
) -> dict[str, str]:
    """Standard Webhooks headers made by the reference package, as a sender would."""
    stamp = datetime.fromtimestamp(int(time.time() if at is None else at), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }


def _post(url: str, wire: bytes, headers: dict[str, str]) -> httpx.Response:
    base = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return httpx.post(url, content=wire, headers={**base, **headers}, timeout=PATIENCE)


def test_a_signed_gzipped_webhook_is_printed_with_its_signature_ok(checking: Printed) -> None:
    url = checking.url + "hooks"
    wire = gzip.compress(_webhook("ann@example.com", "bob@example.com"))
    headers = {**_signed(wire, "msg_ok"), "Authorization": f"Bearer {SECRET}"}
    start = len(checking.lines())
    response = _post(url, wire, headers)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    index, line = checking.wait_line(r"POST /hooks ", after=start)
    assert "-> 200" in line
    assert "2 records (json" in line
    assert "gzip" in line
    assert "sync.records" in line
    assert "signature ok (over the gzipped bytes)" in line
    assert "bearer ok" in line
    _, first = checking.wait_line(r"^\s+first: ", after=index)
    assert first.strip() == "first: email=ann@example.com, plan=pro"


def test_a_signature_over_the_gunzipped_body_is_accepted_and_said(checking: Printed) -> None:
    body = _webhook("ann@example.com")
    start = len(checking.lines())
    _post(checking.url + "decoded", gzip.compress(body), _signed(body, "msg_decoded"))
    _, line = checking.wait_line(r"POST /decoded ", after=start)
    assert "signature ok (over the gunzipped body)" in line
    assert "bearer missing" in line


def test_a_bad_signature_and_a_wrong_bearer_are_printed(checking: Printed) -> None:
    wire = gzip.compress(_webhook("ann@example.com"))
    forged = _signed(wire, "msg_bad", secret="whsec_" + "b3RoZXIta2V5")
    start = len(checking.lines())
    response = _post(checking.url + "bad", wire, {**forged, "Authorization": "Bearer nope"})
    assert response.status_code == 200
    _, line = checking.wait_line(r"POST /bad ", after=start)
    assert "bad signature" in line
    assert "bearer mismatch" in line


def test_a_replayed_old_timestamp_is_refused(checking: Printed) -> None:
    wire = gzip.compress(_webhook("ann@example.com"))
    start = len(checking.lines())
    _post(checking.url + "old", wire, _signed(wire, "msg_old", at=time.time() - 600))
    _, line = checking.wait_line(r"POST /old ", after=start)
    assert "signature timestamp older than 5 minutes" in line


def test_a_repeated_idempotency_key_is_marked(checking: Printed) -> None:
    start = len(checking.lines())
    for _ in range(2):
        httpx.post(checking.url + "again", json=[{"id": 1}], headers={"Idempotency-Key": "k-1"})
    first, line = checking.wait_line(r"POST /again ", after=start)
    assert "key k-1" in line
    assert "(repeat)" not in line
    _, line = checking.wait_line(r"POST /again ", after=first + 1)
    assert "key k-1 (repeat)" in line


def test_a_body_over_16_mib_once_gunzipped_gets_413(checking: Printed) -> None:
    wire = gzip.compress(b"[" + b"0," * (9 << 20) + b"0]")
    start = len(checking.lines())
    response = _post(checking.url + "big", wire, {})
    assert response.status_code == 413
    _, line = checking.wait_line(r"POST /big ", after=start)
    assert "-> 413" in line


def test_a_body_over_16_mib_as_sent_gets_413_declared_or_chunked(checking: Printed) -> None:
    big = b"x" * (17 << 20)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    start = len(checking.lines())
    declared = httpx.post(checking.url + "declared", content=big, timeout=PATIENCE)
    chunked = httpx.post(checking.url + "chunked", content=chunks(), timeout=PATIENCE)
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert declared.json() == {"ok": False, "error": "body larger than 16 MiB"}
    for path in ("declared", "chunked"):
        _, line = checking.wait_line(f"POST /{path} ", after=start)
        assert "-> 413" in line


def test_json_lines_and_a_chosen_status() -> None:
    with dev_receiver("--json", "--status", "503") as printed:
        url = printed.url
        ndjson = b'{"id": 1, "email": "a@x.io"}\n{"id": 2, "email": "b@x.io"}\n'
        response = httpx.post(
            url + "bulk?dry=1",
            content=ndjson,
            headers={"Content-Type": "application/x-ndjson"},
            timeout=PATIENCE,
        )
        assert (response.status_code, response.json()) == (503, {"ok": False})
        _, line = printed.wait_line(r'^\{"time"')
    shown = json.loads(line)
    assert shown["method"] == "POST"
    assert (shown["path"], shown["query"]) == ("/bulk", "dry=1")
    assert (shown["status"], shown["body"], shown["records"]) == (503, "ndjson", 2)
    assert shown["first_record"] == {"id": 1, "email": "a@x.io"}
    assert shown["signature"] is None


def test_a_secret_that_is_not_whsec_base64_is_refused_in_one_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncline.cli", "dev", "receiver", "--port", "0"],
        env={**os.environ, "SYNCLINE_RECEIVER_SECRET": "whsec_not*base64"},
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == "Error: a whsec_ secret must be followed by base64"
