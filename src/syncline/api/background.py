"""The app's job pool and the dependencies that hand it out.

The pool lives in `app.state.job_pool` from start to stop: the jobs router
carries `lifespan` as its lifespan, which FastAPI merges into the app's, so
stopping the app waits for running jobs and fails the queued ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from syncline.api.deps import Caller, State
from syncline.services.jobs import JobPool, JobService


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the job pool with the app and stop it with the app."""
    pool = JobPool()
    app.state.job_pool = pool
    try:
        yield
    finally:
        # Waiting for running jobs blocks, so it happens off the event loop.
        await asyncio.to_thread(pool.shutdown)


def job_service(request: Request, state: State, caller: Caller) -> JobService:
    """Jobs of the caller's organization, run on the app's pool."""
    pool: JobPool = request.app.state.job_pool
    return JobService(state.store, caller, pool)


Jobs = Annotated[JobService, Depends(job_service)]
