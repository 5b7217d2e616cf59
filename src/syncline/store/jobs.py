"""Jobs (asynchronous model operations), always scoped to one organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncline.errors import NotFound
from syncline.store.tables import Job, is_id


class JobRepository:
    """The jobs of one organization. Another organization's do not exist here."""

    def __init__(self, session: Session, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def get(self, job_id: str) -> Job:
        """One job. Raises `NotFound` when absent or another organization's."""
        job = None
        if is_id(job_id):
            job = self.session.scalars(
                select(Job).where(Job.organization_id == self.organization_id, Job.id == job_id)
            ).first()
        if job is None:
            raise NotFound(f"job {job_id} not found", metadata={"id": job_id})
        return job

    def add(self, job: Job) -> Job:
        """Insert a new job of this organization."""
        job.organization_id = self.organization_id
        self.session.add(job)
        self.session.flush()
        return job
