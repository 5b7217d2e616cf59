"""`/api/me`, the caller's organization, and tenancy administration."""

from __future__ import annotations

from fastapi import APIRouter

from syncline.api.access import allow
from syncline.api.deps import Caller, State
from syncline.api.schemas import identity as schemas
from syncline.api.schemas.common import Envelope
from syncline.services.organizations import OrganizationService
from syncline.services.roles import ADMINISTER, DEPLOYMENT, READ, Role, role_of
from syncline.store.tables import Organization, User

router = APIRouter(prefix="/api", tags=["identity"])


def _organization(row: Organization) -> schemas.Organization:
    return schemas.Organization(id=row.id, name=row.name)


def _user(row: User) -> schemas.User:
    return schemas.User(
        id=row.id, email=row.email, organization_id=row.organization_id, role=row.role
    )


@router.get("/me", dependencies=[allow(READ)])
def me(caller: Caller) -> Envelope[schemas.Identity]:
    """Who the credential belongs to, with the role it acts with (admin for the deployment key)."""
    return Envelope(
        data=schemas.Identity(
            id=caller.user_id,
            email=caller.email,
            organization_id=caller.organization_id,
            organization_name=caller.organization_name,
            role=role_of(caller).value,
            is_user=caller.user_id is not None,
            is_organization=False,
            is_partner=False,
            is_system=caller.is_system,
            credential=schemas.Credential(method=caller.method),
        )
    )


@router.get("/organization", dependencies=[allow(READ)])
def organization(caller: Caller, state: State) -> Envelope[schemas.Organization]:
    """The organization the credential resolves to."""
    return Envelope(
        data=_organization(OrganizationService(state.store).get(caller.organization_id))
    )


@router.get("/organizations", dependencies=[allow(READ)])
def organizations(caller: Caller, state: State) -> Envelope[list[schemas.Organization]]:
    """Every organization for the deployment key; the caller's own otherwise."""
    service = OrganizationService(state.store)
    rows = service.all() if caller.is_system else [service.get(caller.organization_id)]
    return Envelope(data=[_organization(row) for row in rows])


@router.post("/organizations", dependencies=[allow(DEPLOYMENT)])
def create_organization(
    body: schemas.OrganizationCreate, state: State
) -> Envelope[schemas.Organization]:
    """Create an organization (deployment key only)."""
    return Envelope(data=_organization(OrganizationService(state.store).create(body.name)))


@router.get("/organizations/{org_id}", dependencies=[allow(READ)])
def get_organization(org_id: str, caller: Caller, state: State) -> Envelope[schemas.Organization]:
    """One organization: any for the deployment key, only the caller's own otherwise."""
    return Envelope(data=_organization(OrganizationService(state.store).reachable(caller, org_id)))


@router.post("/organizations/{org_id}/users", dependencies=[allow(ADMINISTER)])
def create_user(
    org_id: str, body: schemas.UserCreate, caller: Caller, state: State
) -> Envelope[schemas.User]:
    """Create a user in the admin's own organization (any, with the deployment key)."""
    service = OrganizationService(state.store)
    service.reachable(caller, org_id)
    return Envelope(data=_user(service.add_user(org_id, body.email, body.role or Role.ADMIN)))


@router.post("/organizations/{org_id}/users/{user_id}/keys", dependencies=[allow(ADMINISTER)])
def create_api_key(
    org_id: str, user_id: str, caller: Caller, state: State, force: bool = False
) -> Envelope[schemas.ApiKeyValue]:
    """Mint an API key for a user of the admin's own organization, shown once."""
    service = OrganizationService(state.store)
    service.reachable(caller, org_id)
    key = service.create_api_key(org_id, user_id, force=force)
    return Envelope(data=schemas.ApiKeyValue(value=key))
