"""`/api/me`, the caller's organization, and tenancy administration."""

from __future__ import annotations

from fastapi import APIRouter

from syncline.api.deps import Caller, State, SystemCaller
from syncline.api.schemas import identity as schemas
from syncline.api.schemas.common import Envelope
from syncline.errors import NotFound
from syncline.services.organizations import OrganizationService
from syncline.store.tables import Organization, User

router = APIRouter(prefix="/api", tags=["identity"])


def _organization(row: Organization) -> schemas.Organization:
    return schemas.Organization(id=row.id, name=row.name)


def _user(row: User) -> schemas.User:
    return schemas.User(
        id=row.id, email=row.email, organization_id=row.organization_id, role=row.role
    )


@router.get("/me")
def me(caller: Caller) -> Envelope[schemas.Identity]:
    """Who the credential belongs to."""
    return Envelope(
        data=schemas.Identity(
            id=caller.user_id,
            email=caller.email,
            organization_id=caller.organization_id,
            organization_name=caller.organization_name,
            role=caller.role,
            is_user=caller.user_id is not None,
            is_organization=False,
            is_partner=False,
            is_system=caller.is_system,
            credential=schemas.Credential(method=caller.method),
        )
    )


@router.get("/organization")
def organization(caller: Caller, state: State) -> Envelope[schemas.Organization]:
    """The organization the credential resolves to."""
    return Envelope(
        data=_organization(OrganizationService(state.store).get(caller.organization_id))
    )


@router.get("/organizations")
def organizations(caller: Caller, state: State) -> Envelope[list[schemas.Organization]]:
    """Every organization for the deployment key; the caller's own otherwise."""
    service = OrganizationService(state.store)
    rows = service.all() if caller.is_system else [service.get(caller.organization_id)]
    return Envelope(data=[_organization(row) for row in rows])


@router.post("/organizations")
def create_organization(
    body: schemas.OrganizationCreate, _caller: SystemCaller, state: State
) -> Envelope[schemas.Organization]:
    """Create an organization (deployment key only)."""
    return Envelope(data=_organization(OrganizationService(state.store).create(body.name)))


@router.get("/organizations/{org_id}")
def get_organization(org_id: str, caller: Caller, state: State) -> Envelope[schemas.Organization]:
    """One organization: any for the deployment key, only the caller's own otherwise."""
    if not caller.is_system and org_id != caller.organization_id:
        raise NotFound(f"organization {org_id} not found")
    return Envelope(data=_organization(OrganizationService(state.store).get(org_id)))


@router.post("/organizations/{org_id}/users")
def create_user(
    org_id: str, body: schemas.UserCreate, _caller: SystemCaller, state: State
) -> Envelope[schemas.User]:
    """Create a user in an organization (deployment key only)."""
    user = OrganizationService(state.store).add_user(org_id, body.email, body.role or "admin")
    return Envelope(data=_user(user))


@router.post("/organizations/{org_id}/users/{user_id}/keys")
def create_api_key(
    org_id: str, user_id: str, _caller: SystemCaller, state: State, force: bool = False
) -> Envelope[schemas.ApiKeyValue]:
    """Mint an API key for a user, shown once (deployment key only)."""
    key = OrganizationService(state.store).create_api_key(org_id, user_id, force=force)
    return Envelope(data=schemas.ApiKeyValue(value=key))
