"""The socket `syncline serve` listens on."""

from __future__ import annotations

import asyncio
import socket

from syncline.api.server import listen


def test_connections_accepted_by_the_server_send_without_delay() -> None:
    # asyncio turns TCP_NODELAY on only for connections accepted from a socket whose
    # protocol is TCP; with Nagle's algorithm on, a body waits for the client's
    # delayed ACK (about 40 ms a page).
    listener = listen("127.0.0.1", 0)
    nodelay: list[int] = []

    class Record(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Record, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            while not nodelay:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(asyncio.wait_for(accept_one(), 30))
    assert listener.proto == socket.IPPROTO_TCP
    assert nodelay == [1]
