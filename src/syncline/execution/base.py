"""The executor boundary: a payload of one execution id, and where it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Runner = Callable[[str], None]
"""Runs one execution to its end, given its id (never raises)."""


class Executor(Protocol):
    """Decides only where an execution runs."""

    def submit(self, execution_id: str) -> None:
        """Queue an execution; returns at once."""

    def shutdown(self) -> None:
        """Stop taking work and wait for what is running."""
