"""Idempotency keys: the first outcome of a request is replayed for its repeats.

Rules (Polytomic's): a key is 8-255 characters of `[A-Za-z0-9_-]`; the first
outcome, errors included, is kept for 24 hours and replayed for repeats; a
repeat that arrives while the first request still runs gets 409. A repeat
with a different method, path or body, or from another caller, is refused
(422): replaying another request's outcome would be wrong, and replaying
another caller's would hand it an answer its own role may not get.

Nothing is kept in clear: an outcome may carry a secret shown once (the
value of a new API key), so its body is encrypted with the secret box, and a
request is recognised by a keyed digest (HMAC), since its body may hold a
password that a plain digest would let anyone with the store guess at.
Records kept before this (migration 0006) have neither: their key answers
409 until it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from syncline.errors import BadRequest, Conflict, ValidationFailed
from syncline.store.db import Store
from syncline.store.idempotency import IdempotencyRepository
from syncline.store.secrets import SecretBox, SecretKeyMismatch
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


def check_key(key: str) -> None:
    """Raise `BadRequest` unless `key` is a valid idempotency key."""
    if not KEY_PATTERN.fullmatch(key):
        raise BadRequest(
            "Idempotency-Key must be 8 to 255 characters of letters, digits, '_' or '-'",
            metadata={"header": "Idempotency-Key"},
        )


class IdempotencyService:
    """Claims keys and stores outcomes for one organization."""

    def __init__(self, store: Store, box: SecretBox, organization_id: str) -> None:
        self.store = store
        self.box = box
        self.organization_id = organization_id

    def fingerprint(self, method: str, path: str, query: str, body: bytes, *, caller: str) -> str:
        """A keyed digest identifying what a request asked for, and who asked (a user id
        or the like)."""
        digest = hmac.new(self.box.derive_key("idempotency-fingerprints"), digestmod=hashlib.sha256)
        for part in (caller.encode(), method.encode(), path.encode(), query.encode(), body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.hexdigest()

    def claim(self, key: str, request_fingerprint: str) -> StoredOutcome | None:
        """Claim `key` for this request, or return the outcome to replay.

        Returns None when this request should run (and later `finish`).
        Raises `Conflict` while the first request runs or when its outcome
        cannot be read, and `ValidationFailed` when the key was used for a
        different request.
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
                if not record.fingerprint:
                    raise _unreadable()
                if not hmac.compare_digest(record.fingerprint, request_fingerprint):
                    raise ValidationFailed(
                        "this Idempotency-Key was already used for a different request",
                        path="Idempotency-Key",
                    )
                if record.status_code is None:
                    raise Conflict("a request with this Idempotency-Key is still in progress")
                try:
                    body = self.box.decrypt_bytes(record.body)
                except SecretKeyMismatch:
                    raise _unreadable() from None
                return StoredOutcome(record.status_code, record.content_type, body)
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
                key, outcome.status_code, outcome.content_type, self.box.encrypt_bytes(outcome.body)
            )

    def release(self, key: str) -> None:
        """Give a claim up without an outcome, so the request can be retried."""
        with self.store.session() as session:
            IdempotencyRepository(session, self.organization_id).remove(key)


def _unreadable() -> Conflict:
    return Conflict(
        "the first outcome of this Idempotency-Key is no longer readable (it was kept by an "
        "older Syncline, or under another SYNCLINE_SECRET_KEY); send the request with a new key"
    )
