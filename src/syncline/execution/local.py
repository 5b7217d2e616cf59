"""The embedded executor: a thread pool inside `syncline serve`."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from syncline.execution.base import Runner

log = logging.getLogger("syncline.execution")


class LocalExecutor:
    """Runs executions on a pool of `workers` threads in this process."""

    def __init__(self, run: Runner, workers: int) -> None:
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="syncline-run")

    def submit(self, execution_id: str) -> None:
        """Queue an execution on the pool."""
        future = self._pool.submit(self._run, execution_id)
        future.add_done_callback(_report)

    def shutdown(self) -> None:
        """Wait for running executions; queued ones stay queued in the store."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _report(future: Future[None]) -> None:
    error = future.exception() if not future.cancelled() else None
    if error is not None:
        log.error("execution runner crashed: %s", error)
