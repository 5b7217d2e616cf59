"""Choosing the executor, and the background loops that start and reap executions."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from syncline.execution.base import Executor
from syncline.execution.local import LocalExecutor
from syncline.services.reaper import Reaper, beat_interval, supervised_run
from syncline.services.runs import Runtime
from syncline.services.scheduling import Limits, Scheduler


def build_executor(runtime: Runtime) -> Executor:
    """The executor `settings.executor` names.

    `local`: a pool of `settings.workers` threads in this process.
    `celery`: the broker at `settings.broker_url` (raises `SynclineError`
    when it is not set); Celery is imported only then.
    """
    if runtime.settings.executor == "celery":
        from syncline.execution.celery_app import CeleryExecutor, make_celery

        return CeleryExecutor(make_celery(runtime.settings), runtime.store)
    return LocalExecutor(partial(supervised_run, runtime), runtime.settings.workers)


def build_scheduler(runtime: Runtime, executor: Executor) -> Scheduler:
    """The scheduler for `settings`, submitting to `executor` (not started)."""
    settings = runtime.settings
    return Scheduler(
        runtime.store,
        executor,
        interval=settings.scheduler_interval,
        limits=Limits(settings.max_concurrent_executions, settings.max_executions_per_connection),
        continuous_interval=timedelta(seconds=settings.continuous_interval),
    )


def build_reaper(runtime: Runtime, executor: Executor) -> Reaper:
    """The reaper for `settings.heartbeat_timeout`, submitting retries to `executor`."""
    return Reaper(runtime, executor, interval=beat_interval(runtime.settings.heartbeat_timeout))
