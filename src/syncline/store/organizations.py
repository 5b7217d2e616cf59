"""Organizations, users and API keys.

API keys are random, high-entropy strings, so a SHA-256 digest is a safe way
to store them: the key itself is shown once and never kept.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from syncline.store.tables import ApiKey, Organization, User, is_id

API_KEY_PREFIX = "sl_"


def hash_key(key: str) -> str:
    """The stored digest of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> str:
    """A new random API key."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


class OrganizationRepository:
    """Reads and writes organizations, their users and the users' keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def first(self) -> Organization | None:
        """The oldest organization, which the first start creates."""
        return self.session.scalars(
            select(Organization).order_by(Organization.created_at, Organization.id).limit(1)
        ).first()

    def get(self, organization_id: str) -> Organization | None:
        """One organization, or None."""
        if not is_id(organization_id):
            return None
        return self.session.get(Organization, organization_id)

    def all(self) -> list[Organization]:
        """Every organization, oldest first."""
        return list(self.session.scalars(select(Organization).order_by(Organization.created_at)))

    def create(self, name: str) -> Organization:
        """A new organization."""
        organization = Organization(name=name)
        self.session.add(organization)
        self.session.flush()
        return organization

    def rename(self, organization_id: str, name: str) -> Organization | None:
        """Give an organization a new name; the organization, or None when there is none."""
        organization = self.get(organization_id)
        if organization is None:
            return None
        organization.name = name
        self.session.flush()
        return organization

    def users(self, organization_id: str) -> list[User]:
        """The users of an organization, oldest first."""
        return list(
            self.session.scalars(
                select(User)
                .where(User.organization_id == organization_id)
                .order_by(User.created_at, User.id)
            )
        )

    def get_user(self, organization_id: str, user_id: str) -> User | None:
        """One user of an organization, or None (also for another organization's user)."""
        if not is_id(organization_id) or not is_id(user_id):
            return None
        return self.session.scalars(
            select(User).where(User.organization_id == organization_id, User.id == user_id)
        ).first()

    def find_user_by_email(self, organization_id: str, email: str) -> User | None:
        """The user with this e-mail in an organization, or None."""
        return self.session.scalars(
            select(User).where(User.organization_id == organization_id, User.email == email)
        ).first()

    def add_user(self, organization_id: str, email: str, role: str = "admin") -> User:
        """A new user of an organization."""
        user = User(organization_id=organization_id, email=email, role=role)
        self.session.add(user)
        self.session.flush()
        return user

    def add_api_key(self, user: User, key: str) -> ApiKey:
        """Store the digest of `key` as one of `user`'s keys."""
        api_key = ApiKey(
            organization_id=user.organization_id, user_id=user.id, key_hash=hash_key(key)
        )
        self.session.add(api_key)
        self.session.flush()
        return api_key

    def has_api_key(self, key: str) -> bool:
        """Whether `key` is stored already."""
        return (
            self.session.scalars(select(ApiKey.id).where(ApiKey.key_hash == hash_key(key))).first()
            is not None
        )

    def revoke_api_keys(self, user: User) -> None:
        """Delete every key of a user."""
        self.session.execute(delete(ApiKey).where(ApiKey.user_id == user.id))

    def api_keys(self, organization_id: str) -> list[tuple[ApiKey, User]]:
        """Every key of an organization with its user, by user then key (oldest first)."""
        if not is_id(organization_id):
            return []
        rows = self.session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.organization_id == organization_id)
            .order_by(User.created_at, User.id, ApiKey.created_at, ApiKey.id)
        )
        return [(row[0], row[1]) for row in rows]

    def get_api_key(self, organization_id: str, key_id: str) -> tuple[ApiKey, User] | None:
        """One key of an organization with its user, or None (also for another organization's)."""
        if not is_id(organization_id) or not is_id(key_id):
            return None
        row = self.session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.organization_id == organization_id, ApiKey.id == key_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def revoke_api_key(self, organization_id: str, key_id: str) -> bool:
        """Delete one key of an organization; whether there was one to delete.

        Another organization's key is left alone, as one that does not exist.
        The UI sessions made with the key go with it (`ui_sessions` cascades).
        """
        if not is_id(organization_id) or not is_id(key_id):
            return False
        result = self.session.execute(
            delete(ApiKey).where(ApiKey.organization_id == organization_id, ApiKey.id == key_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def resolve_api_key(self, key: str) -> tuple[User, Organization] | None:
        """The user and organization a key belongs to, or None."""
        row = self.session.execute(
            select(User, Organization)
            .join(ApiKey, ApiKey.user_id == User.id)
            .join(Organization, Organization.id == User.organization_id)
            .where(ApiKey.key_hash == hash_key(key))
        ).first()
        if row is None:
            return None
        return row[0], row[1]
