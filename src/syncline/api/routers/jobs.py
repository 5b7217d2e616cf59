"""`/api/jobs/{type}/{id}`: the state of an asynchronous model operation."""

from __future__ import annotations

from fastapi import APIRouter

from syncline.api import background
from syncline.api.access import allow
from syncline.api.background import Jobs
from syncline.api.schemas import models as schemas
from syncline.api.schemas.common import Envelope
from syncline.services.roles import READ
from syncline.store.tables import Job

router = APIRouter(prefix="/api/jobs", tags=["jobs"], lifespan=background.lifespan)


def job_out(row: Job) -> schemas.Job:
    """A job as `JobResponse`: its result once done, its error once failed."""
    return schemas.Job(
        job_id=row.id,
        type=row.type,
        status=row.status,
        result=row.result if row.status == "done" else None,
        error=row.error if row.status == "failed" else None,
    )


@router.get("/{job_type}/{job_id}", dependencies=[allow(READ)])
def get_job(job_type: str, job_id: str, jobs: Jobs) -> Envelope[schemas.Job]:
    """One job; an unknown type answers 400, an unknown id 404."""
    return Envelope(data=job_out(jobs.get(job_type, job_id)))
