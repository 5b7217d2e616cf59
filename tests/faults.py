"""A TCP proxy that puts faults between Syncline and a database, for tests.

Start a `FaultProxy` in front of a server and point a connection's host and
port at it; it forwards bytes both ways until a fault is armed and fires:

    with FaultProxy(PG_HOST, PG_PORT) as proxy:
        config = {**pg_config, "hostname": proxy.host, "port": proxy.port}
        proxy.arm("drop", pattern=b"COPY", nth=3, after_bytes=2_000)
        ...  # run: the third COPY is cut 2,000 bytes in
        assert proxy.fired.is_set()

A fault fires once the client has sent `pattern` for the `nth` time since it
was armed (matched in the client's byte stream, on every connection, even
across reads) and then `after_bytes` more bytes; without a pattern it fires
after `after_bytes` bytes. The faults:

- `drop`: nothing more is forwarded, and every open connection is reset
  (both sides see a reset, as when a network path or a server dies);
- `freeze`: nothing more is forwarded either way, the sockets stay open
  (as a stopped server or a black-holed route) until `thaw()` or `drop()`;
- `lose_reply`: what the client sent so far reaches the server (the whole
  read in which the fault fires, so a statement is never cut), which goes
  on and answers; the answer is thrown away (`replied` is set once one
  came) and the client's connection is reset. This is the ambiguous commit:
  the server committed, the client never heard.

`drop()` resets every connection at once; `forwarded` counts the bytes sent
to the server. Waiting on `fired`/`replied` (threading events) is waiting on
an observable state, never a fixed delay. The proxy is threads and blocking
sockets, for a handful of connections in a test.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType
from typing import Literal

Fault = Literal["drop", "freeze", "lose_reply"]

_CHUNK = 65536
_POLL = 0.05


class FaultProxy:
    """A TCP proxy to `upstream_host`:`upstream_port` listening on 127.0.0.1 (see module)."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self._listener.getsockname()[1]
        self.fired = threading.Event()
        """Set when the armed fault fired."""
        self.replied = threading.Event()
        """Set when, after a `lose_reply` fired, the server sent its (discarded) answer."""
        self.forwarded = 0
        """Bytes forwarded from clients to the server, over every connection."""
        self.connections = 0
        """Connections accepted."""
        self._lock = threading.Lock()
        self._thawed = threading.Event()
        self._thawed.set()
        self._closed = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._silenced: set[socket.socket] = set()
        """Server sockets whose answers are thrown away (after `lose_reply`)."""
        self._fault: Fault | None = None
        self._pattern = b""
        self._left = 0
        self._after = 0
        self._tail = b""
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    # ------------------------------------------------------------ control

    def arm(
        self, fault: Fault, *, pattern: bytes | None = None, nth: int = 1, after_bytes: int = 0
    ) -> None:
        """Fire `fault` once the client sent `pattern` `nth` times, then `after_bytes` bytes."""
        with self._lock:
            self._fault = fault
            self._pattern = pattern or b""
            self._left = nth if pattern else 0
            self._after = after_bytes
            self._tail = b""
            self.fired.clear()
            self.replied.clear()

    def disarm(self) -> None:
        """Forget an armed fault that has not fired, and thaw a frozen one."""
        with self._lock:
            self._fault = None
        self.thaw()

    def thaw(self) -> None:
        """Resume forwarding after a `freeze`."""
        self._thawed.set()

    def drop(self) -> None:
        """Reset every open connection now (a frozen one too)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _reset(sock)
        self._thawed.set()

    def close(self) -> None:
        """Stop listening and reset every connection."""
        self._closed.set()
        self.drop()
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ forwarding

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._pairs.append((client, server))
                self.connections += 1
            for source, target, upward in ((client, server, True), (server, client, False)):
                thread = threading.Thread(
                    target=self._pump, args=(source, target, upward), daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _pump(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        """Forward `source` to `target` (`upward`: client to server) until either closes."""
        while not self._closed.is_set():
            self._thawed.wait()
            try:
                ready, _, _ = select.select([source], [], [], _POLL)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            self._thawed.wait()
            try:
                data = source.recv(_CHUNK)
            except OSError:
                data = b""
            if not data:
                _shut(target)
                return
            held, fault = b"", None
            if upward:
                data, held, fault = self._upward(data)
                if fault == "lose_reply":
                    # Silence the server before it gets the request: its answer can
                    # come back (and be forwarded by the other pump) before `_fire`
                    # runs, and a delivered answer is no lost reply.
                    self._silenced.add(target)
            elif source in self._silenced:
                self.replied.set()
                continue
            try:
                if data:
                    target.sendall(data)
            except OSError:
                return
            if fault is None:
                continue
            self._fire(fault, source, target)
            if fault != "freeze":
                return
            self._thawed.wait()
            try:
                if held:
                    target.sendall(held)
            except OSError:
                return

    def _upward(self, data: bytes) -> tuple[bytes, bytes, Fault | None]:
        """`data` split into what to forward to the server now and what to hold (a
        freeze forwards it when thawed; a drop never), and the fault to fire between."""
        with self._lock:
            fault = self._fault
            if fault is None:
                self.forwarded += len(data)
                return data, b"", None
            position = 0
            if self._left:
                seen = self._tail + data
                start = 0
                while self._left:
                    found = seen.find(self._pattern, start)
                    if found < 0:
                        break
                    self._left -= 1
                    start = found + len(self._pattern)
                keep = len(self._pattern) - 1
                self._tail = seen[-keep:] if keep else b""
                if self._left:
                    self.forwarded += len(data)
                    return data, b"", None
                position = max(0, start - (len(seen) - len(data)))
            if len(data) - position < self._after:
                self._after -= len(data) - position
                self.forwarded += len(data)
                return data, b"", None
            cut = len(data) if fault == "lose_reply" else position + self._after
            self._fault = None
            self.forwarded += cut
            return data[:cut], data[cut:], fault

    def _fire(self, fault: Fault, client: socket.socket, server: socket.socket) -> None:
        """Apply `fault` to the connection of `client` to `server` (and, for a drop, to all)."""
        if fault == "drop":
            self.fired.set()
            self.drop()
        elif fault == "freeze":
            self._thawed.clear()
            self.fired.set()
        else:
            # `server` was silenced before the request reached it (see `_pump`).
            self.fired.set()
            _reset(client)


def _reset(sock: socket.socket) -> None:
    """Close `sock` with a reset (RST), as a dying peer or path does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
