"""Jobs: slow model operations run in the background and polled (`/api/jobs/{type}/{id}`).

A job row is written `running` before the work is queued, and ends `done`
with the JSON payload the synchronous call would have answered under `data`,
or `failed` with the error message. The work is a callable producing that
payload, so this module knows nothing of what a job does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from syncline.errors import BadRequest, NotFound, SynclineError
from syncline.services.auth import Principal
from syncline.store.db import Store
from syncline.store.jobs import JobRepository
from syncline.store.tables import Job

log = logging.getLogger("syncline.jobs")

JOB_TYPES = (
    "createmodel",
    "updatemodel",
    "previewmodel",
    "samplemodel",
    "exportlogs",
    "connectionproxy",
)
"""Every job type of the API; Syncline starts only the four model ones."""

Work = Callable[[], dict[str, Any]]

_INTERNAL = "internal error; the server log has the details"
_STOPPED = "the server stopped before the job ran; start it again"


class JobPool:
    """The threads that run jobs. One per app; `shutdown` when the app stops."""

    def __init__(self, workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="syncline-job")

    def submit(self, run: Callable[[], None], on_cancel: Callable[[], None]) -> None:
        """Queue `run`; `on_cancel` is called instead if the pool stops before it starts."""
        future = self._executor.submit(run)

        def cancelled(done: Future[None]) -> None:
            if done.cancelled():
                on_cancel()

        future.add_done_callback(cancelled)

    def shutdown(self) -> None:
        """Wait for running jobs; queued ones are cancelled (and marked failed)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


class JobService:
    """Start and read the jobs of the caller's organization."""

    def __init__(self, store: Store, principal: Principal, pool: JobPool) -> None:
        self.store = store
        self.principal = principal
        self.pool = pool

    def start(self, job_type: str, work: Work) -> Job:
        """Record a running job of `job_type` and queue `work` for it."""
        with self.store.session() as session:
            job = self._repo(session).add(Job(type=job_type, status="running"))
        # Queued only after the commit, so the worker always finds the row.
        self.pool.submit(
            lambda: self._run(job.id, work),
            lambda: self._finish(job.id, error=_STOPPED),
        )
        return job

    def get(self, job_type: str, job_id: str) -> Job:
        """One job of the given type.

        Raises `BadRequest` for an unknown type and `NotFound` for an unknown
        id, another organization's job, or a job of another type.
        """
        if job_type not in JOB_TYPES:
            raise BadRequest(
                f"unknown job type {job_type!r}; job types: {', '.join(JOB_TYPES)}",
                metadata={"path": "type"},
            )
        with self.store.session() as session:
            job = self._repo(session).get(job_id)
        if job.type != job_type:
            raise NotFound(f"job {job_id} not found", metadata={"id": job_id})
        return job

    def _run(self, job_id: str, work: Work) -> None:
        try:
            result = work()
        except SynclineError as exc:
            self._finish(job_id, error=exc.message)
        except Exception:  # a bug: keep its details in the log, out of the job
            log.exception("job %s failed unexpectedly", job_id)
            self._finish(job_id, error=_INTERNAL)
        else:
            self._finish(job_id, result=result)

    def _finish(
        self, job_id: str, *, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        try:
            with self.store.session() as session:
                job = self._repo(session).get(job_id)
                job.status = "failed" if error is not None else "done"
                job.result = result
                job.error = error or ""
        except Exception:  # the job stays `running`; nobody else would hear of this
            log.exception("could not record the end of job %s", job_id)

    def _repo(self, session: Any) -> JobRepository:
        return JobRepository(session, self.principal.organization_id)
