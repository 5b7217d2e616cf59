"""Choosing the executor, and the background loops that start and reap executions."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from syncline.execution.base import Executor, Runner
from syncline.execution.local import LocalExecutor
from syncline.services.data_dir import prepare_data_dir
from syncline.services.reaper import Reaper, beat_interval, queue_here, supervised_run
from syncline.services.runs import Runtime
from syncline.services.scheduling import Limits, Scheduler
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.secrets import SecretBox


def build_executor(runtime: Runtime) -> Executor:
    """The executor `settings.executor` names.

    `local`: a pool of `settings.workers` threads in this process.
    `celery`: the broker at `settings.broker_url` (raises `SynclineError`
    when it is not set); Celery is imported only then.
    """
    if runtime.settings.executor == "celery":
        from syncline.execution.celery_app import CeleryExecutor, make_celery

        app = make_celery(runtime.settings, partial(worker_runner, runtime.settings))
        return CeleryExecutor(app, runtime.store)
    return LocalExecutor(
        partial(supervised_run, runtime),
        runtime.settings.workers,
        queued=partial(queue_here, runtime),
    )


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


def worker_runner(settings: Settings) -> Runner:
    """What a `syncline worker` process runs executions with: its own store
    connection and secret box, and `supervised_run` (at most once, with heartbeats)."""
    prepare_data_dir(settings)
    store = Store(settings.resolved_database_url())
    box = SecretBox.load(
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.data_dir,
    )
    return partial(supervised_run, Runtime(store=store, box=box, settings=settings))
