"""Owner records of processes of this machine, for the tests of who may end an execution."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import psutil

from syncline.services.owners import Owner


def ended_process() -> Owner:
    """The owner record of a process of this machine that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    ended = replace(
        Owner.this_process(), pid=child.pid, started=psutil.Process(child.pid).create_time()
    )
    child.communicate(b"\n")
    return ended
