"""Serving the app: the port is taken first, the app starts on it, and only then is it announced.

`syncline serve` binds its port before anything else happens (before the
store is migrated, before any execution is repaired, before the first
organization exists), so a second server started on a busy port stops at
once and changes nothing. uvicorn is handed that socket, and `serving`
runs once uvicorn serves on it, before the first request is answered.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from syncline.errors import SynclineError
from syncline.execution.collector import freeze_startup

BACKLOG = 2048
"""Connections the kernel queues while the app is still starting (uvicorn's default)."""


class PortUnavailable(SynclineError):
    """The address `serve` should listen on cannot be had."""

    key = "port_unavailable"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host:port`; raises `PortUnavailable` (the reason, the fix).

    Listening, not only bound, holds the port: another process cannot bind
    it too. Connections wait in the backlog until the app serves.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named as TCP, so asyncio turns Nagle's algorithm off on each accepted connection
    # (it looks at the socket's protocol): otherwise an answer's body waits for the
    # client's delayed ACK, about 40 ms a page (`bench/ui_pages.py`).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; is another `syncline serve` "
            "running there? Stop it or choose another --port"
        ) from None
    return sock


class _Server(uvicorn.Server):
    """uvicorn, calling `serving` once it serves (and not when its start failed)."""

    def __init__(self, config: uvicorn.Config, serving: Callable[[], None]) -> None:
        super().__init__(config)
        self._serving = serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            freeze_startup()
            # Synchronous on purpose: no request is answered before it returns.
            self._serving()


def serve(
    app: FastAPI, listener: socket.socket, *, log_level: str, serving: Callable[[], None]
) -> None:
    """Run `app` on `listener` until SIGINT/SIGTERM; `serving()` once it serves.

    The app's startup (`create_app`'s lifespan) runs first; when it fails,
    uvicorn logs why and exits (status 3) without calling `serving`.
    """
    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, backlog=BACKLOG)
    _Server(config, serving).run(sockets=[listener])
