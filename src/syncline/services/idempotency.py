"""Idempotency keys: the first outcome of a request is replayed for its repeats.

Rules (Polytomic's): a key is 8-255 characters of `[A-Za-z0-9_-]`; the first
outcome, errors included, is kept for 24 hours and replayed for repeats; a
repeat that arrives while the first request still runs gets 409. A repeat
with a different method, path or body, or from another caller, is refused
(422): replaying another request's outcome would be wrong, and replaying
another caller's would hand it an answer its own role may not get.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from syncline.errors import BadRequest, Conflict, ValidationFailed
from syncline.store.db import Store
from syncline.store.idempotency import IdempotencyRepository
from syncline.store.tables import utcnow

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,255}$")
KEEP_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)
"""A claim older than this with no outcome belongs to a process that died."""


@dataclass(frozen=True)
class StoredOutcome:
    """The response of the first request with a key."""

    status_code: int
    content_type: str
    body: bytes


def fingerprint(method: str, path: str, query: str, body: bytes, *, caller: str) -> str:
    """A digest identifying what a request asked for, and who asked (a user id or the like)."""
    digest = hashlib.sha256()
    for part in (caller.encode(), method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> None:
    """Raise `BadRequest` unless `key` is a valid idempotency key."""
    if not KEY_PATTERN.match(key):
        raise BadRequest(
            "Idempotency-Key must be 8 to 255 characters of letters, digits, '_' or '-'",
            metadata={"header": "Idempotency-Key"},
        )


class IdempotencyService:
    """Claims keys and stores outcomes for one organization."""

    def __init__(self, store: Store, organization_id: str) -> None:
        self.store = store
        self.organization_id = organization_id

    def claim(self, key: str, request_fingerprint: str) -> StoredOutcome | None:
        """Claim `key` for this request, or return the outcome to replay.

        Returns None when this request should run (and later `finish`).
        Raises `Conflict` while the first request runs and `ValidationFailed`
        when the key was used for a different request.
        """
        now = utcnow()
        with self.store.session() as session:
            repo = IdempotencyRepository(session, self.organization_id)
            repo.purge(now - KEEP_FOR)
            record = repo.get(key)
            stale = now - ABANDONED_AFTER
            if record is not None and record.status_code is None and record.created_at < stale:
                repo.remove(key)
                record = None
            if record is not None:
                if record.fingerprint != request_fingerprint:
                    raise ValidationFailed(
                        "this Idempotency-Key was already used for a different request",
                        path="Idempotency-Key",
                    )
                if record.status_code is None:
                    raise Conflict("a request with this Idempotency-Key is still in progress")
                return StoredOutcome(record.status_code, record.content_type, record.body)
        try:
            with self.store.session() as session:
                IdempotencyRepository(session, self.organization_id).add(key, request_fingerprint)
        except IntegrityError:
            raise Conflict("a request with this Idempotency-Key is still in progress") from None
        return None

    def finish(self, key: str, outcome: StoredOutcome) -> None:
        """Store the outcome of the request that claimed `key`."""
        with self.store.session() as session:
            IdempotencyRepository(session, self.organization_id).finish(
                key, outcome.status_code, outcome.content_type, outcome.body
            )

    def release(self, key: str) -> None:
        """Give a claim up without an outcome, so the request can be retried."""
        with self.store.session() as session:
            IdempotencyRepository(session, self.organization_id).remove(key)
