"""Fake database servers that ask for the password in clear and keep it.

An attacker who can point a connection at a server of their own learns the
password a client sends it. These servers speak just enough of each wire
protocol to do that:

- PostgreSQL (protocol 3): refuse SSL and GSS encryption, answer the startup
  message with AuthenticationCleartextPassword, keep the PasswordMessage,
  then fail the login. libpq sends the password in clear when asked to.
- MySQL: greet with mysql_native_password, then switch the client to
  `mysql_clear_password`, keep what it sends, then deny access. PyMySQL
  follows the switch.

Each listens on 127.0.0.1 (PostgreSQL also on a Unix socket) and runs its
own event loop on a thread. A password is recorded before the server
answers, so once a client's call has returned, everything it sent is in
`passwords`.
"""

from __future__ import annotations

import asyncio
import struct
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104

Session = Callable[[asyncio.StreamReader, asyncio.StreamWriter, list[str]], Awaitable[None]]


@dataclass
class CapturingServer:
    """Where a fake server listens and the passwords it received, in order."""

    port: int
    socket_dir: Path | None = None
    passwords: list[str] = field(default_factory=list)


async def _postgres_session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, passwords: list[str]
) -> None:
    while True:
        (length,) = struct.unpack("!i", await reader.readexactly(4))
        message = await reader.readexactly(length - 4)
        (code,) = struct.unpack("!i", message[:4])
        if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
            break  # the startup message
        writer.write(b"N")
        await writer.drain()
    writer.write(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
    await writer.drain()
    kind = await reader.readexactly(1)
    (length,) = struct.unpack("!i", await reader.readexactly(4))
    payload = await reader.readexactly(length - 4)
    if kind == b"p":
        passwords.append(payload.rstrip(b"\0").decode())
    fields = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0"
    writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
    await writer.drain()


def _mysql_packet(sequence: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "little") + bytes([sequence]) + payload


async def _mysql_read(reader: asyncio.StreamReader) -> bytes:
    header = await reader.readexactly(4)
    return await reader.readexactly(int.from_bytes(header[:3], "little"))


_MYSQL_CAPABILITIES = (
    0x1  # LONG_PASSWORD
    | 0x8  # CONNECT_WITH_DB
    | 0x200  # PROTOCOL_41
    | 0x2000  # TRANSACTIONS
    | 0x8000  # SECURE_CONNECTION
    | 0x20000  # MULTI_RESULTS
    | 0x80000  # PLUGIN_AUTH
)


async def _mysql_session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, passwords: list[str]
) -> None:
    salt = b"abcdefghijklmnopqrst"
    greeting = (
        b"\x0a5.7.99-capture\0"
        + struct.pack("<I", 1)
        + salt[:8]
        + b"\0"
        + struct.pack("<H", _MYSQL_CAPABILITIES & 0xFFFF)
        + bytes([45])  # utf8mb4
        + struct.pack("<H", 2)  # autocommit
        + struct.pack("<H", _MYSQL_CAPABILITIES >> 16)
        + bytes([len(salt) + 1])
        + b"\0" * 10
        + salt[8:]
        + b"\0"
        + b"mysql_native_password\0"
    )
    writer.write(_mysql_packet(0, greeting))
    await writer.drain()
    await _mysql_read(reader)  # the handshake response: user, scramble, database
    writer.write(_mysql_packet(2, b"\xfemysql_clear_password\0"))
    await writer.drain()
    passwords.append((await _mysql_read(reader)).rstrip(b"\0").decode())
    writer.write(_mysql_packet(4, b"\xff" + struct.pack("<H", 1045) + b"#28000Access denied"))
    await writer.drain()


@contextmanager
def _serving(session: Session, *, unix: bool) -> Iterator[CapturingServer]:
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    holder: list[CapturingServer] = []
    socket_dir = Path(tempfile.mkdtemp(prefix="capture-")) if unix else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await session(reader, writer, holder[0].passwords)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start() -> list[asyncio.Server]:
        tcp = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers = [tcp]
        port = tcp.sockets[0].getsockname()[1]
        if socket_dir is not None:
            path = socket_dir / f".s.PGSQL.{port}"
            servers.append(await asyncio.start_unix_server(handle, str(path)))
        holder.append(CapturingServer(port=port, socket_dir=socket_dir))
        return servers

    def run() -> None:
        asyncio.set_event_loop(loop)
        servers = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        for server in servers:
            server.close()
            loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=run, name="capturing-server", daemon=True)
    thread.start()
    ready.wait()
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


@contextmanager
def capturing_postgres() -> Iterator[CapturingServer]:
    """A fake PostgreSQL server on 127.0.0.1 and on a Unix socket in `socket_dir`."""
    with _serving(_postgres_session, unix=True) as server:
        yield server


@contextmanager
def capturing_mysql() -> Iterator[CapturingServer]:
    """A fake MySQL server on 127.0.0.1."""
    with _serving(_mysql_session, unix=False) as server:
        yield server
