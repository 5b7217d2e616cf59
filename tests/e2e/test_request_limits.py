"""Bodies are bounded and credentials come first, against a real `syncline serve`.

Each attack is performed over a raw socket (HTTP/1.1 framed by h11), so the
client can stream as much as it likes and still read an answer the server
gives before the body has ended.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
import httpx
import pytest

from tests.e2e.conftest import Serve, serve_process

pytestmark = pytest.mark.e2e

KEY = "sl_limits_e2e"
MiB = 1024 * 1024
ATTACK_BYTES = 200 * MiB
ATTACKERS = 4
# Growth of the server's peak RSS the attack may cause. Before credentials came
# first, four such requests took the server from ~170 MB to ~1.8 GB.
RSS_GROWTH_BOUND = 64 * MiB


def peak_rss(served: Serve) -> int:
    """The server's peak resident set size so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{served.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's local root."""
    return tmp_path_factory.mktemp("limits-files")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, roots: Path) -> Iterator[Serve]:
    """A server with a 1 MiB body limit and a 1 s body timeout."""
    with serve_process(
        tmp_path_factory.mktemp("limits"),
        SYNCLINE_LOCAL_ROOTS=str(roots),
        SYNCLINE_API_KEY=KEY,
        SYNCLINE_DEMO="false",
        SYNCLINE_MAX_BODY_MB="1",
        SYNCLINE_BODY_TIMEOUT="1",
    ) as served:
        yield served


@dataclass
class Answer:
    """The server's answer, and how much of the body it had taken before giving it."""

    status: int
    headers: dict[str, str]
    body: bytes
    sent: int

    def json(self) -> Any:
        return httpx.Response(self.status, content=self.body).json()


def exchange(
    served: Serve,
    target: str,
    headers: list[tuple[str, str]],
    body: Iterable[bytes],
    *,
    finish: bool = True,
) -> Answer:
    """POST `target`, streaming `body` until the server answers; then read its answer.

    With `finish=False` the body is left unfinished, as a stalled client
    leaves it. Waits up to 60 s for each step.
    """
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(method="POST", target=target, headers=[("Host", served.host), *headers])
    with socket.create_connection((served.host, served.port), timeout=60) as sock:
        sock.sendall(conn.send(request))
        sent = 0
        complete = True
        for chunk in body:
            if select.select([sock], [], [], 0)[0]:
                complete = False  # the server answered, or closed, before the body ended
                break
            try:
                sock.sendall(conn.send(h11.Data(data=chunk)))
            except OSError:  # it closed the connection: the answer is waiting
                complete = False
                break
            sent += len(chunk)
        if complete and finish:
            sock.sendall(conn.send(h11.EndOfMessage()))
        return _answer(conn, sock, sent)


def _answer(conn: h11.Connection, sock: socket.socket, sent: int) -> Answer:
    status, headers, content = 0, {}, b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            conn.receive_data(data)
        elif isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode().lower(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.Data):
            content += event.data
        elif isinstance(event, h11.EndOfMessage):
            return Answer(status, headers, content, sent)
        elif isinstance(event, h11.ConnectionClosed):
            raise AssertionError(f"the server closed the connection without answering ({sent} B)")


def json_body(size: int) -> Iterator[bytes]:
    """A valid JSON object of exactly `size` bytes (`{"name": "aaa..."}`), 1 MiB at a time."""
    head, tail = b'{"name": "', b'"}'
    yield head
    left = size - len(head) - len(tail)
    chunk = b"a" * MiB
    while left > 0:
        yield chunk[: min(left, MiB)]
        left -= MiB
    yield tail


def _bearer() -> tuple[str, str]:
    return ("Authorization", f"Bearer {KEY}")


def _assert_envelope(answer: Answer, status: int, key: str) -> None:
    assert answer.status == status, (answer.status, answer.body[:300])
    body = answer.json()
    assert set(body) == {"status", "message", "key", "metadata"}
    assert (body["status"], body["key"]) == (status, key)


def test_unauthenticated_200_mb_posts_get_401_before_their_bodies(server: Serve) -> None:
    baseline = peak_rss(server)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(ATTACK_BYTES))]

    def attack(_: int) -> Answer:
        return exchange(server, "/api/connections", headers, json_body(ATTACK_BYTES))

    with ThreadPoolExecutor(ATTACKERS) as pool:
        answers = list(pool.map(attack, range(ATTACKERS)))

    growth = peak_rss(server) - baseline
    print(f"peak RSS {baseline / MiB:.0f} MiB before, {(baseline + growth) / MiB:.0f} MiB after")
    assert growth < RSS_GROWTH_BOUND, f"peak RSS grew by {growth / MiB:.0f} MiB"
    for answer in answers:
        _assert_envelope(answer, 401, "unauthorized")
        assert answer.sent < ATTACK_BYTES // 2, "the server read the body before refusing it"
    assert httpx.get(f"{server.url}/api/me", headers=dict([_bearer()])).status_code == 200


@pytest.mark.parametrize("idempotency", [False, True], ids=["plain", "idempotency-key"])
def test_a_declared_body_over_the_limit_gets_413_at_once(server: Serve, idempotency: bool) -> None:
    size = 64 * MiB
    headers = [_bearer(), ("Content-Type", "application/json"), ("Content-Length", str(size))]
    if idempotency:
        headers.append(("Idempotency-Key", "declared-over-the-limit"))
    answer = exchange(server, "/api/connections", headers, json_body(size))
    _assert_envelope(answer, 413, "content_too_large")
    assert "SYNCLINE_MAX_BODY_MB" in answer.json()["message"]
    assert answer.sent < size // 2


@pytest.mark.parametrize("idempotency", [False, True], ids=["plain", "idempotency-key"])
def test_a_chunked_body_is_cut_at_the_limit_with_413(server: Serve, idempotency: bool) -> None:
    size = 64 * MiB
    headers = [_bearer(), ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    if idempotency:
        headers.append(("Idempotency-Key", f"chunked-over-the-limit-{size}"))
    answer = exchange(server, "/api/connections", headers, json_body(size))
    _assert_envelope(answer, 413, "content_too_large")
    assert answer.headers.get("connection") == "close"
    assert answer.sent < size // 2


@pytest.mark.parametrize("idempotency", [False, True], ids=["plain", "idempotency-key"])
def test_a_stalled_body_gets_408(server: Serve, idempotency: bool) -> None:
    headers = [_bearer(), ("Content-Type", "application/json"), ("Content-Length", "1000")]
    if idempotency:
        headers.append(("Idempotency-Key", "stalled-body-key"))
    # Ten bytes of the thousand announced, then nothing: the answer comes when
    # the server's body timeout (1 s here) runs out.
    answer = exchange(server, "/api/connections", headers, [b'{"name": "'], finish=False)
    _assert_envelope(answer, 408, "request_timeout")
    assert "SYNCLINE_BODY_TIMEOUT" in answer.json()["message"]
    assert answer.headers.get("connection") == "close"


def test_a_body_just_under_the_limit_is_served(server: Serve, roots: Path) -> None:
    body = {
        "name": "padded",
        "type": "sqlite",
        "configuration": {"path": str(roots / "padded.db")},
        "validate": False,
        "padding": "x" * (MiB - 1024),
    }
    response = httpx.post(
        f"{server.url}/api/connections", headers=dict([_bearer()]), json=body, timeout=60
    )
    assert response.status_code == 200, response.text
