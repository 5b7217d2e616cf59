"""Stored outcomes of idempotent requests, scoped to one organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from syncline.store.tables import IdempotencyRecord


class IdempotencyRepository:
    """The idempotency records of one organization."""

    def __init__(self, session: Session, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def get(self, key: str) -> IdempotencyRecord | None:
        """The record of a key, or None."""
        return self.session.get(IdempotencyRecord, (self.organization_id, key))

    def add(self, key: str, fingerprint: str) -> None:
        """Claim a key for a running request.

        Raises `sqlalchemy.exc.IntegrityError` when another request claimed it first.
        """
        self.session.add(
            IdempotencyRecord(
                organization_id=self.organization_id, key=key, fingerprint=fingerprint
            )
        )
        self.session.flush()

    def finish(self, key: str, status_code: int, content_type: str, body: bytes) -> None:
        """Store the outcome of the request that claimed `key`."""
        record = self.get(key)
        if record is not None:
            record.status_code = status_code
            record.content_type = content_type
            record.body = body

    def remove(self, key: str) -> None:
        """Forget a key, so the request may be tried again."""
        self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == self.organization_id,
                IdempotencyRecord.key == key,
            )
        )

    def purge(self, created_before: datetime) -> None:
        """Forget every record of the organization created before a time."""
        self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == self.organization_id,
                IdempotencyRecord.created_at < created_before,
            )
        )
