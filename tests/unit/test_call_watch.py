"""`connectors.calls`: a guarded call blocked on a socket that never answers is cut off
by its timeout or by a cancel, and its connection is spent afterwards.

The "database" is one end of a real socket pair whose other end never writes:
a blocked `recv` returns only once the guard shuts the socket (`sever`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from syncline.connectors.calls import CallLimits, CallWatch
from syncline.errors import CallCanceled, CallTimedOut


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A connected socket whose peer never says anything."""
    mine, theirs = socket.socketpair()
    yield mine
    mine.close()
    theirs.close()


def _blocked_call(watch: CallWatch, sock: socket.socket) -> None:
    """One guarded call waiting for an answer; an ended connection is a driver error."""
    with watch.call():
        if not sock.recv(1):
            raise ConnectionError("server closed the connection unexpectedly")


def _watch(limits: CallLimits, sock: socket.socket, asked: list[str]) -> CallWatch:
    return CallWatch(
        limits,
        interrupt=lambda: asked.append("interrupt"),
        sever=lambda: sock.shutdown(socket.SHUT_RDWR),
    )


def test_a_call_without_an_answer_is_cut_off_at_its_timeout(silent: socket.socket) -> None:
    asked: list[str] = []
    watch = _watch(CallLimits(timeout=0.3, remedy="raise THE_SETTING"), silent, asked)
    with pytest.raises(CallTimedOut) as raised:
        _blocked_call(watch, silent)
    assert raised.value.message.startswith("did not answer for 0.3 s")
    assert raised.value.message.endswith("; raise THE_SETTING")
    # The server was asked to stop the call before its socket was shut.
    assert asked == ["interrupt"]


def test_a_cancel_interrupts_a_blocked_call(silent: socket.socket) -> None:
    canceled = threading.Event()
    watch = _watch(CallLimits(cancelled=canceled.is_set), silent, [])
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _blocked_call(watch, silent)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    canceled.set()
    thread.join(60)
    assert not thread.is_alive()
    assert len(failure) == 1
    assert isinstance(failure[0], CallCanceled)


def test_an_interrupted_connection_refuses_every_later_call(silent: socket.socket) -> None:
    watch = _watch(CallLimits(timeout=0.2), silent, [])
    with pytest.raises(CallTimedOut):
        _blocked_call(watch, silent)
    with pytest.raises(CallTimedOut), watch.call():
        pass


def test_a_pending_cancel_refuses_the_next_call_before_it_starts(silent: socket.socket) -> None:
    watch = _watch(CallLimits(cancelled=lambda: True), silent, [])
    started: list[bool] = []
    with pytest.raises(CallCanceled), watch.call():
        started.append(True)
    assert started == []


def test_a_call_that_answers_in_time_is_left_alone(silent: socket.socket) -> None:
    watch = _watch(CallLimits(timeout=30, cancelled=lambda: False), silent, [])
    with watch.call(), watch.call():
        pass
    assert watch.fired is None
