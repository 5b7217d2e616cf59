"""The Celery executor: executions run on `syncline worker` processes, on any machine.

The message is only the execution id (never credentials: workers read the
sync, its connections and the secret key from the store and settings), and
no result backend is used: the metadata store is the only source of truth
for status.

Delivery semantics. Tasks are acknowledged late (`task_acks_late`), one
message reserved per worker process (`worker_prefetch_multiplier=1`), and
re-queued when the process running them dies (`task_reject_on_worker_lost`).
So the broker delivers an execution id *at least once*: a message taken by a
worker that dies before or while running it goes back to the queue (RabbitMQ:
as soon as the connection drops; Redis: after `visibility_timeout`). Running
it twice is prevented in the store, not the broker: `supervised_run` starts
an execution only while its `started_at` is empty (one conditional UPDATE),
so a redelivered id whose execution has started, ended or been canceled is
acknowledged without running. An execution whose worker died mid-run is
not redone by redelivery: the reaper marks it `interrupted` after
`heartbeat_timeout` and frees its sync (and retries it when
`retry_interrupted` is set) -- one decision maker, the store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from celery import Celery

from syncline.errors import SynclineError
from syncline.execution.base import Runner
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.executions import ExecutionRepository
from syncline.store.tables import utcnow

log = logging.getLogger("syncline.execution")

TASK = "syncline.run_execution"
REDIS_VISIBILITY_TIMEOUT = 600
"""Seconds before Redis hands an unacknowledged message to another worker.

Low enough that an execution queued on a worker that died is not stuck for
the default hour; harmless for longer runs, whose redelivery is a no-op.
"""


def make_celery(settings: Settings, new_runner: Callable[[], Runner]) -> Any:
    """A Celery app for `settings` with the `syncline.run_execution` task.

    The task runs an execution with a runner from `new_runner`, made once
    per worker process, after the fork, so no process shares a connection.
    Raises `SynclineError` when `broker_url` is not set.
    """
    if not settings.broker_url:
        raise SynclineError(
            "SYNCLINE_EXECUTOR=celery needs SYNCLINE_BROKER_URL "
            "(redis://host:6379/0 or amqp://user:password@host:5672//)"
        )
    app = Celery("syncline", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.celery_queue,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": REDIS_VISIBILITY_TIMEOUT},
    )
    runners: dict[int, Runner] = {}

    @app.task(name=TASK, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_execution_task(execution_id: str) -> None:
        """Run one execution (at most once, however often its id is delivered)."""
        pid = os.getpid()
        if pid not in runners:
            runners[pid] = new_runner()
        runners[pid](execution_id)

    return app


class CeleryExecutor:
    """Sends execution ids to the broker; `syncline worker` processes run them.

    When the broker cannot take the message, the execution is recorded as
    `failed` (with the reason) and its sync's run slot freed, so it does not
    sit `queued` forever; `submit` itself never raises.
    """

    def __init__(self, app: Any, store: Store) -> None:
        self.app = app
        self.store = store

    def submit(self, execution_id: str) -> None:
        """Queue the execution's id on the broker."""
        try:
            self.app.send_task(TASK, args=[execution_id])
        except Exception as exc:
            log.exception("could not queue execution %s", execution_id)
            self._fail(execution_id, f"could not queue the execution on the broker: {exc}")

    def shutdown(self) -> None:
        """Nothing runs here: queued and running executions belong to the workers."""

    def _fail(self, execution_id: str, message: str) -> None:
        try:
            with self.store.session() as session:
                repo = ExecutionRepository(session, None)
                execution = repo.find(execution_id)
                if execution is None or execution.started_at is not None:
                    return
                execution.status = "failed"
                execution.errors = [*execution.errors, message]
                execution.completed_at = utcnow()
                repo.release_slot(execution.sync_id, execution.id)
        except Exception:
            log.exception("could not record that execution %s was not queued", execution_id)


def worker_argv(settings: Settings, concurrency: int) -> list[str]:
    """The `celery worker` arguments `syncline worker` runs with."""
    return [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--queues={settings.celery_queue}",
        f"--hostname=syncline-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
