"""Organizations, users and API keys, as managed by admins and the deployment key."""

from __future__ import annotations

from syncline.errors import Conflict, NotFound
from syncline.services.auth import Principal
from syncline.services.roles import Role
from syncline.store.db import Store
from syncline.store.organizations import OrganizationRepository, generate_api_key
from syncline.store.tables import Organization, User


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

    def add_user(self, organization_id: str, email: str, role: Role) -> User:
        """A new user. Raises `NotFound` for the organization, `Conflict` for a taken e-mail."""
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
