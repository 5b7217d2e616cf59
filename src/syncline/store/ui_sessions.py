"""Web UI sign-ins: stored by the digest of their cookie token, never the token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from syncline.store.organizations import hash_key
from syncline.store.tables import ApiKey, Organization, UiSession, User


class UiSessionRepository:
    """Creates, resolves and ends UI sessions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def api_key(self, key: str) -> tuple[ApiKey, User, Organization] | None:
        """The stored key a plain API key is, with its user and organization, or None."""
        row = self.session.execute(
            select(ApiKey, User, Organization)
            .join(User, User.id == ApiKey.user_id)
            .join(Organization, Organization.id == User.organization_id)
            .where(ApiKey.key_hash == hash_key(key))
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    def add(self, token: str, key: ApiKey, expires_at: datetime) -> None:
        """Store a session for `token`, made with `key`, ending at `expires_at`."""
        self.session.add(
            UiSession(
                token_hash=hash_key(token),
                organization_id=key.organization_id,
                api_key_id=key.id,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def resolve(self, token: str, now: datetime) -> tuple[User, Organization] | None:
        """The user and organization of an unexpired session, or None.

        The user is read afresh, so a role changed since sign-in applies at once.
        """
        row = self.session.execute(
            select(User, Organization)
            .join(ApiKey, ApiKey.user_id == User.id)
            .join(UiSession, UiSession.api_key_id == ApiKey.id)
            .join(Organization, Organization.id == User.organization_id)
            .where(UiSession.token_hash == hash_key(token), UiSession.expires_at > now)
        ).first()
        return None if row is None else (row[0], row[1])

    def key_id(self, token: str, now: datetime) -> str | None:
        """The id of the API key an unexpired session was made with, or None."""
        return self.session.scalars(
            select(UiSession.api_key_id).where(
                UiSession.token_hash == hash_key(token), UiSession.expires_at > now
            )
        ).first()

    def remove(self, token: str) -> None:
        """End the session of `token` (nothing when there is none)."""
        self.session.execute(delete(UiSession).where(UiSession.token_hash == hash_key(token)))

    def purge(self, now: datetime) -> int:
        """Delete every expired session; how many there were."""
        result = self.session.execute(delete(UiSession).where(UiSession.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)
