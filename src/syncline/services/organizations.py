"""Organizations, users and API keys, as managed by admins and the deployment key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from syncline.errors import Conflict, NotFound, ValidationFailed
from syncline.services.auth import Principal
from syncline.services.roles import ROLES, Role
from syncline.store.db import Store
from syncline.store.organizations import OrganizationRepository, generate_api_key
from syncline.store.tables import Organization, User

NAME_MAX_LENGTH = 255
"""The longest organization name (the column's size, as `POST /api/organizations` allows)."""
# The e-mail rules of `POST /api/organizations/{org_id}/users`, for callers other than the API.
EMAIL_MIN_LENGTH = 3
EMAIL_MAX_LENGTH = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown of a stored API key: never the key, which is not kept."""

    id: str
    user_id: str
    email: str
    created_at: datetime


def role_named(value: str) -> Role:
    """The role called `value`. Raises `ValidationFailed` at path `role` for any other."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(role.value for role in ROLES)
        raise ValidationFailed(f"role: choose one of {names}", path="role") from None


def email_problem(email: str) -> str:
    """Why `email` cannot be a user's e-mail, or an empty string when it can."""
    if not EMAIL_MIN_LENGTH <= len(email) <= EMAIL_MAX_LENGTH:
        return f"enter an e-mail address of {EMAIL_MIN_LENGTH} to {EMAIL_MAX_LENGTH} characters"
    if not _EMAIL.match(email):
        return "enter an e-mail address such as name@example.com"
    return ""


def new_user_fields(email: str, role: str) -> tuple[str, Role]:
    """A new user's e-mail and role from text, both checked.

    Raises one `ValidationFailed` naming every bad field (`metadata.errors`,
    paths `email` and `role`), so a form can show each message by its field.
    """
    errors = []
    problem = email_problem(email)
    if problem:
        errors.append({"path": "email", "message": problem})
    try:
        chosen = role_named(role)
    except ValidationFailed as exc:
        errors.append({"path": "role", "message": exc.message.removeprefix("role: ")})
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"{first['path']}: {first['message']}", path=first["path"], metadata={"errors": errors}
        )
    return email, chosen


def _api_key_info(key_id: str, user: User, created_at: datetime) -> ApiKeyInfo:
    return ApiKeyInfo(id=key_id, user_id=user.id, email=user.email, created_at=created_at)


class OrganizationService:
    """Tenancy administration. Callers must already be authorized for it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, organization_id: str) -> Organization:
        """One organization. Raises `NotFound`."""
        with self.store.session() as session:
            organization = OrganizationRepository(session).get(organization_id)
            if organization is None:
                raise NotFound(f"organization {organization_id} not found")
            return organization

    def reachable(self, caller: Principal, organization_id: str) -> Organization:
        """An organization the caller may act in: any for the deployment key, else its own.

        Raises `NotFound` for every other organization, as for one that does not exist.
        """
        if not caller.is_system and organization_id != caller.organization_id:
            raise NotFound(f"organization {organization_id} not found")
        return self.get(organization_id)

    def all(self) -> list[Organization]:
        """Every organization."""
        with self.store.session() as session:
            return OrganizationRepository(session).all()

    def create(self, name: str) -> Organization:
        """A new, empty organization."""
        with self.store.session() as session:
            return OrganizationRepository(session).create(name)

    def rename(self, organization_id: str, name: str) -> Organization:
        """Give an organization a new name, without its surrounding spaces.

        Raises `ValidationFailed` at path `name` for a blank name or one over
        `NAME_MAX_LENGTH` characters, `NotFound` for the organization.
        """
        name = name.strip()
        if not name:
            raise ValidationFailed("name: enter a name", path="name")
        if len(name) > NAME_MAX_LENGTH:
            raise ValidationFailed(
                f"name: at most {NAME_MAX_LENGTH} characters (this one has {len(name)})",
                path="name",
            )
        with self.store.session() as session:
            organization = OrganizationRepository(session).rename(organization_id, name)
            if organization is None:
                raise NotFound(f"organization {organization_id} not found")
            return organization

    def users(self, organization_id: str) -> list[User]:
        """The users of an organization, oldest first."""
        with self.store.session() as session:
            return OrganizationRepository(session).users(organization_id)

    def user(self, organization_id: str, user_id: str) -> User:
        """One user of an organization. Raises `NotFound`, also for another organization's."""
        with self.store.session() as session:
            user = OrganizationRepository(session).get_user(organization_id, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            return user

    def add_user(self, organization_id: str, email: str, role: Role) -> User:
        """A new user. Raises `ValidationFailed` (path `email`) for a malformed e-mail,
        `NotFound` for the organization, `Conflict` for a taken e-mail."""
        problem = email_problem(email)
        if problem:
            raise ValidationFailed(f"email: {problem}", path="email")
        self.get(organization_id)
        with self.store.session() as session:
            repo = OrganizationRepository(session)
            if repo.find_user_by_email(organization_id, email) is not None:
                raise Conflict(f"a user with e-mail {email!r} already exists in this organization")
            return repo.add_user(organization_id, email, role.value)

    def create_api_key(self, organization_id: str, user_id: str, *, force: bool) -> str:
        """A new API key for a user, returned once. `force` revokes the user's other keys."""
        with self.store.session() as session:
            repo = OrganizationRepository(session)
            user = repo.get_user(organization_id, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            if force:
                repo.revoke_api_keys(user)
            key = generate_api_key()
            repo.add_api_key(user, key)
            return key

    def api_keys(self, organization_id: str) -> list[ApiKeyInfo]:
        """Every key of an organization, by user then key (oldest first); never a key itself."""
        with self.store.session() as session:
            rows = OrganizationRepository(session).api_keys(organization_id)
            return [_api_key_info(key.id, user, key.created_at) for key, user in rows]

    def api_key(self, organization_id: str, key_id: str) -> ApiKeyInfo:
        """One key of an organization. Raises `NotFound`, also for another organization's."""
        with self.store.session() as session:
            found = OrganizationRepository(session).get_api_key(organization_id, key_id)
            if found is None:
                raise NotFound(f"API key {key_id} not found")
            key, user = found
            return _api_key_info(key.id, user, key.created_at)

    def revoke_api_key(self, organization_id: str, key_id: str) -> None:
        """Delete one key of an organization: calls with it fail from now on, and the
        UI sessions made with it end. Raises `NotFound`, also for another organization's."""
        with self.store.session() as session:
            if not OrganizationRepository(session).revoke_api_key(organization_id, key_id):
                raise NotFound(f"API key {key_id} not found")
