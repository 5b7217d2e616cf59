"""The embedded executor: a thread pool inside `syncline serve`."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from syncline.execution.base import Runner

log = logging.getLogger("syncline.execution")


class LocalExecutor:
    """Runs executions on a pool of `workers` threads in this process."""

    def __init__(self, run: Runner, workers: int, queued: Runner | None = None) -> None:
        self._run = run
        self._queued = queued
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="syncline-run")

    def submit(self, execution_id: str) -> None:
        """Queue an execution on the pool, first telling `queued` (when given) that
        this process holds it: the pool's queue dies with the process."""
        if self._queued is not None:
            try:
                self._queued(execution_id)
            except Exception:
                # The run still goes ahead; only a hand-over after a crash comes later.
                log.exception("could not record who queued execution %s", execution_id)
        future = self._pool.submit(self._run, execution_id)
        future.add_done_callback(_report)

    def shutdown(self) -> None:
        """Wait for running executions; queued ones stay queued in the store."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _report(future: Future[None]) -> None:
    error = future.exception() if not future.cancelled() else None
    if error is not None:
        log.error("execution runner crashed: %s", error)
