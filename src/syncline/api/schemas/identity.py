"""`GET /api/me` and organization shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from syncline.api.schemas.common import Request
from syncline.services.roles import Role


class Credential(BaseModel):
    """How the caller authenticated."""

    method: str
    mode: str | None = None
    oauth_client_id: str | None = None
    oauth_resource: str | None = None
    api_key_profile: str | None = None
    harbor: str | None = None


class Identity(BaseModel):
    """The caller (`GetIdentityResponseSchema`)."""

    id: str | None = None
    email: str | None = None
    organization_id: str
    organization_name: str
    role: str | None = None
    is_user: bool
    is_organization: bool
    is_partner: bool
    is_system: bool
    credential: Credential


class Organization(BaseModel):
    """An organization."""

    id: str
    name: str
    issuer: str | None = None
    sso_domain: str | None = None
    sso_org_id: str | None = None


class OrganizationCreate(Request):
    """Body of `POST /api/organizations`."""

    name: str = Field(min_length=1, max_length=255)


class User(BaseModel):
    """A user of an organization."""

    id: str
    email: str
    organization_id: str
    role: str | None = None
    role_ids: list[str] = []


class UserCreate(Request):
    """Body of `POST /api/organizations/{org_id}/users`."""

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role | None = Role.ADMIN
    role_ids: list[str] | None = None


class ApiKeyValue(BaseModel):
    """A new API key, shown once."""

    value: str
