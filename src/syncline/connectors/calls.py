"""Bounding blocking calls to a remote system: a timeout, and interruption on cancel.

A database that stops answering (a frozen server: its TCP connections stay
open and the kernel still acknowledges what is sent) blocks a driver call
forever, and so does a statement that simply runs long. A `CallWatch`
guards the calls of one connection: while a call runs, one watcher thread
per process looks at it every `POLL_SECONDS`. When the call has gone
`CallLimits.timeout` seconds without an answer, or `CallLimits.cancelled`
turns true, the watcher

1. asks the server to stop the call (the connector's `interrupt`: a cancel
   request, `KILL QUERY`), on a thread of its own, as a frozen server never
   answers that either; and
2. after a short grace, if the call is still blocked, shuts the
   connection's socket (`sever`), which makes the blocked call raise at once.

The interrupted call then raises `CallTimedOut` or `CallCanceled`, never the
driver's error, so no caller mistakes it for a fault of the data it sent;
and the connection is spent: every later call on it raises the same. An
uncommitted transaction on it is rolled back by the server when the
connection ends; a call that still completed (the cancel came as it
answered) keeps its result, as if the cancel had come just after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Literal

from syncline.errors import CallCanceled, CallTimedOut, ConnectorError

POLL_SECONDS = 0.1
"""How often the watcher looks at the running calls."""
CANCEL_POLL_SECONDS = 0.25
"""How often a running call asks `CallLimits.cancelled` (its owner may look less often)."""
CANCEL_GRACE_SECONDS = 0.5
"""How long a canceled call may take to stop on the server's word before its socket is shut."""
TIMEOUT_GRACE_SECONDS = 1.0
"""The same for a call that timed out."""


@dataclass(frozen=True)
class CallLimits:
    """What bounds the calls of a connector (the default bounds nothing).

    - `timeout`: seconds one call may go without an answer; None: no bound.
    - `cancelled`: asked at the start of every call and, while a call runs,
      from the watcher thread (so it must be safe to call from any thread and
      cheap); true interrupts the call with `CallCanceled`.
    - `remedy`: what a person can do about a timeout, ending its message
      (for example the setting to raise).
    """

    timeout: float | None = None
    cancelled: Callable[[], bool] | None = None
    remedy: str = ""

    @property
    def bounded(self) -> bool:
        """Whether calls are watched at all."""
        return self.timeout is not None or self.cancelled is not None


Reason = Literal["timeout", "cancel"]


class CallWatch:
    """The guard of one connection's calls (see the module docstring).

    `interrupt` asks the server to stop the running call and may block (it
    runs on a thread of its own); `sever` shuts the connection's socket and
    must not block. Both may raise: their failures are ignored.
    """

    def __init__(
        self,
        limits: CallLimits,
        interrupt: Callable[[], None],
        sever: Callable[[], None],
    ) -> None:
        self.limits = limits
        self._interrupt = interrupt
        self._sever = sever
        self._lock = threading.Lock()
        self._depth = 0
        self._started = 0.0
        self._polled = 0.0
        self._fired_at = 0.0
        self._severed = False
        self.fired: Reason | None = None
        """Why the connection's calls were stopped; None while they are not."""

    @contextmanager
    def call(self) -> Iterator[None]:
        """Guard one call (nested calls count as the outer one).

        Raises `CallCanceled` or `CallTimedOut` instead of whatever the call
        raised once it was interrupted, and at once when the connection was
        interrupted before or a cancel is pending.
        """
        self._refuse()
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._started = self._polled = time.monotonic()
                _WATCHER.add(self)
        try:
            yield
        except Exception:
            if self.fired is not None:
                raise self._error() from None
            raise
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    _WATCHER.discard(self)

    def _refuse(self) -> None:
        """Raise when no call may start on this connection."""
        if self.fired is None:
            if not self._cancel_asked():
                return
            self.fired = "cancel"
        raise self._error()

    def _cancel_asked(self) -> bool:
        """Whether `cancelled` says so. One that fails says no: its owner hears of
        the failure when it asks itself (the engine does between batches)."""
        cancelled = self.limits.cancelled
        if cancelled is None:
            return False
        try:
            return cancelled()
        except Exception:  # noqa: BLE001 - see the docstring
            return False

    def _error(self) -> ConnectorError:
        if self.fired == "cancel":
            return CallCanceled("the call was interrupted: the run was canceled")
        timeout = self.limits.timeout or 0
        message = (
            f"did not answer for {timeout:g} s, so the call was cut off"
            " (what it had not committed was rolled back)"
        )
        if self.limits.remedy:
            message += f"; {self.limits.remedy}"
        return CallTimedOut(message)

    def _tick(self, now: float) -> None:
        """One look of the watcher thread at this connection's running call."""
        if self.fired is None:
            reason = self._due(now)
            if reason is None:
                return
            with self._lock:
                if self._depth == 0:
                    return
                self.fired = reason
                self._fired_at = now
            threading.Thread(target=self._ask_to_stop, daemon=True).start()
            return
        grace = CANCEL_GRACE_SECONDS if self.fired == "cancel" else TIMEOUT_GRACE_SECONDS
        if self._severed or now - self._fired_at < grace:
            return
        with self._lock:
            # Only while the call still runs: once it ended, the connection may be closed
            # and its socket's number taken by another.
            if self._depth and not self._severed:
                self._severed = True
                with suppress(Exception):
                    self._sever()

    def _due(self, now: float) -> Reason | None:
        """Why the running call must stop now, if it must."""
        limits = self.limits
        if limits.timeout is not None and now - self._started >= limits.timeout:
            return "timeout"
        if limits.cancelled is not None and now - self._polled >= CANCEL_POLL_SECONDS:
            self._polled = now
            if self._cancel_asked():
                return "cancel"
        return None

    def _ask_to_stop(self) -> None:
        with suppress(Exception):
            self._interrupt()


class _Watcher:
    """The one thread per process looking at every running guarded call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: set[CallWatch] = set()
        self._thread: threading.Thread | None = None

    def add(self, watch: CallWatch) -> None:
        with self._lock:
            self._watches.add(watch)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="syncline-call-watch", daemon=True
                )
                self._thread.start()

    def discard(self, watch: CallWatch) -> None:
        with self._lock:
            self._watches.discard(watch)

    def _run(self) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            with self._lock:
                watches = list(self._watches)
            now = time.monotonic()
            for watch in watches:
                # A failing look must not end the thread every guarded call relies on.
                with suppress(Exception):
                    watch._tick(now)


_WATCHER = _Watcher()
