"""Who runs an execution, and whether that runner is provably gone.

The process that claims an execution (`supervised_run`, in `serve`'s pool or
in a Celery worker's pool process) records itself as the execution's owner:
its host name, its process id, when that process started, and the machine it
runs on. Only the owner runs the execution, so only the owner's end may end
it from outside: a process that starts never interrupts executions merely
because they have not ended.

An owner is provably gone when its heartbeat stopped for `heartbeat_timeout`
(the only proof for an owner on another machine), or, for an owner on this
very machine, when its process id no longer exists. A process id can be
reused by a later process, so the recorded start time must match too.

"This machine" means the same kernel boot and the same process-id namespace
(the same host name alone is not enough: containers sharing a host name see
different processes), so a process id is looked up only where it means the
same process.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psutil

START_TOLERANCE = 1.0
"""Seconds two readings of one process's start time may differ by (clock-tick rounding,
the boot time being re-read); a reused process id starts later than that."""


@dataclass(frozen=True)
class Owner:
    """The process that claimed an execution."""

    host: str
    """The host name, as people know the machine."""
    pid: int
    started: float
    """When the process started, in seconds since the epoch."""
    machine: str
    """The kernel boot and process-id namespace the pid belongs to."""

    @classmethod
    def this_process(cls) -> Owner:
        """The calling process (computed per process, so a forked child is itself)."""
        return _this_process(os.getpid())

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> Owner | None:
        """The owner stored on an execution; None when none (or an unreadable one) was."""
        if not record:
            return None
        try:
            owner = cls(
                host=str(record["host"]),
                pid=int(record["pid"]),
                started=float(record["started"]),
                machine=str(record["machine"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return owner if owner.pid > 0 else None

    def record(self) -> dict[str, Any]:
        """The owner as stored in `executions.owner`."""
        return {
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "machine": self.machine,
        }

    def describe(self) -> str:
        """`pid 123 on host x`, for messages."""
        return f"pid {self.pid} on host {self.host}"

    def is_local(self) -> bool:
        """Whether the owner's process id can be looked up from this process."""
        here = Owner.this_process()
        return self.host == here.host and self.machine == here.machine

    def is_gone(self) -> bool:
        """Whether the owner is on this machine and its process no longer exists.

        False for an owner on another machine: only its heartbeat can tell.
        A process id now held by a process that started at another time, or
        by a zombie, counts as gone. A process that exists but cannot be
        examined (another user's, under `hidepid`) does not.
        """
        if not self.is_local():
            return False
        if not _exists(self.pid):
            return True
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
            started = process.create_time()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False  # hidden from this process, or ending just now: the next look tells
        return abs(started - self.started) > START_TOLERANCE


def _exists(pid: int) -> bool:
    """Whether a process `pid` exists, even one this process may not look at."""
    if os.name != "posix":
        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether `pid` exists is checked
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@cache
def _this_process(pid: int) -> Owner:
    return Owner(
        host=socket.gethostname(),
        pid=pid,
        started=psutil.Process(pid).create_time(),
        machine=_machine(),
    )


def _machine() -> str:
    """This kernel boot and process-id namespace (Linux); elsewhere the boot time."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = f"booted {psutil.boot_time():.0f}"
    try:
        namespace = str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        namespace = ""
    return f"{boot} {namespace}".strip()
