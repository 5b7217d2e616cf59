"""A local HTTP receiver that does nothing but count: the far end of `bench/http_delivery.py`.

    python bench/harness/counting_receiver.py --port-file PATH [--latency-ms 0]

A raw asyncio protocol server (HTTP/1.1, keep-alive, bodies by
`Content-Length`), run as a process of its own so it never competes with
the sender for a GIL. Every request is answered `200 {}`; `GET /_stats`
answers what was counted, as JSON. A `GET` (the statistics, or the
check a connection makes when it is created) or a `HEAD` is answered and not
counted:

- `connections` opened, `requests`, `body_bytes` (as sent: gzipped for the webhook) and
  `wire_bytes` (request lines, headers and bodies);
- `records`: a cheap count to check a run by, occurrences of `"hash":`
  in a gzipped body after gunzip (a webhook's `sync.records`), else of
  `"id":` (a JSON record, an array of them, or NDJSON lines);
- `peak_in_flight` and `mean_in_flight`: requests whose first byte arrived
  and whose answer was not yet written. An answer is written on the loop's
  next turn (`--latency-ms` later when given), so requests that arrive
  together are counted together; the mean is over the span from the first
  request's arrival to the last answer;
- `cpu_seconds`: this process's user and system CPU time so far.

It writes its port into `--port-file` once it listens, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
import zlib
from pathlib import Path

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
HEAD_END = b"\r\n\r\n"
MAX_HEAD = 64 * 1024


class Counts:
    """What every connection adds to."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.body_bytes = 0
        self.wire_bytes = 0
        self.records = 0
        self.errors = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._changed_at = 0.0
        self._area = 0.0

    def _move(self, by: int) -> None:
        now = time.monotonic()
        if self.first_at is None:
            self.first_at = now
        else:
            self._area += self.in_flight * (now - self._changed_at)
        self._changed_at = now
        self.in_flight += by
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        if by < 0:
            self.last_at = now

    def arrived(self) -> None:
        """A request's first byte came in."""
        self._move(1)

    def answered(self) -> None:
        """A request's answer was written."""
        self._move(-1)

    def as_json(self) -> bytes:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        span = (
            self.last_at - self.first_at
            if self.first_at is not None and self.last_at is not None
            else 0.0
        )
        return json.dumps(
            {
                "connections": self.connections,
                "requests": self.requests,
                "body_bytes": self.body_bytes,
                "wire_bytes": self.wire_bytes,
                "records": self.records,
                "errors": self.errors,
                "peak_in_flight": self.peak_in_flight,
                "mean_in_flight": self._area / span if span > 0 else 0.0,
                "span_seconds": span,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        ).encode()


def count_records(body: bytes, gzipped: bool) -> int:
    """The records in a body (see the module docstring)."""
    if gzipped:
        return zlib.decompress(body, 31).count(b'"hash":')
    return body.count(b'"id":')


class Counting(asyncio.Protocol):
    """One connection: requests parsed as they come, answered in order."""

    def __init__(self, counts: Counts, latency: float) -> None:
        self.counts = counts
        self.latency = latency
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.started = False
        self.head: bytes | None = None
        self.length = 0
        self.gzipped = False
        self.stats = False
        self.counted = False
        self.headed = False
        self.pending: list[tuple[bytes, bool]] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.counts.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        # Requests that arrived on a connection closed before their answer are done.
        for _, counted in self.pending:
            if counted:
                self.counts.answered()
        self.pending.clear()
        if self.started:
            self.counts.answered()
            self.started = False

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.head is None:
                end = self.buffer.find(HEAD_END)
                if end < 0:
                    if len(self.buffer) > MAX_HEAD:
                        self._fail()
                    return
                if not self._parse_head(bytes(self.buffer[: end + 4])):
                    return
                del self.buffer[: end + 4]
            if len(self.buffer) < self.length:
                return
            body = bytes(self.buffer[: self.length])
            del self.buffer[: self.length]
            self._complete(body)

    def _parse_head(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        self.head = head
        self.length = 0
        self.gzipped = False
        self.stats = lines[0].startswith(b"GET /_stats")
        self.headed = lines[0].startswith(b"HEAD ")
        self.counted = not lines[0].startswith((b"GET ", b"HEAD "))
        if self.counted:
            self.started = True
            self.counts.arrived()
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self.length = int(value.strip())
            elif name == b"content-encoding":
                self.gzipped = value.strip().lower() == b"gzip"
            elif name == b"transfer-encoding":
                self._fail()
                return False
        return True

    def _complete(self, body: bytes) -> None:
        assert self.head is not None
        counts = self.counts
        answer = ANSWER
        if self.stats:
            payload = counts.as_json()
            answer = (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
            )
        elif self.headed:
            # A HEAD's answer has the head of a GET's and no body.
            answer = ANSWER[: ANSWER.index(HEAD_END) + len(HEAD_END)]
        elif self.counted:
            counts.requests += 1
            counts.body_bytes += len(body)
            counts.wire_bytes += len(self.head) + len(body)
            try:
                counts.records += count_records(body, self.gzipped)
            except zlib.error:
                counts.errors += 1
        self.head = None
        self.started = False
        self.pending.append((answer, self.counted))
        loop = asyncio.get_running_loop()
        if self.latency and self.counted:
            loop.call_later(self.latency, self._answer)
        else:
            loop.call_soon(self._answer)

    def _answer(self) -> None:
        if self.closed or not self.pending:
            return
        answer, counted = self.pending.pop(0)
        assert self.transport is not None
        self.transport.write(answer)
        if counted:
            self.counts.answered()

    def _fail(self) -> None:
        self.counts.errors += 1
        if self.transport is not None:
            self.transport.write(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            self.transport.close()
        self.buffer.clear()


async def serve(port_file: Path, latency: float) -> None:
    """Listen on an ephemeral port of 127.0.0.1 until SIGTERM."""
    counts = Counts()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Counting(counts, latency), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    temporary = port_file.with_suffix(".tmp")
    temporary.write_text(str(port))
    temporary.replace(port_file)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(serve(args.port_file, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
