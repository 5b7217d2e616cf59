"""Who is calling: resolve an `Authorization` header to a principal.

Two schemes are accepted, as Polytomic does:
- `Bearer <API key>`: a user's key, bound to the user's organization;
- `Basic base64(<organization_id>:<deployment key>)`: the deployment key from
  `SYNCLINE_DEPLOYMENT_KEY`, acting inside the named organization.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from syncline.errors import Unauthorized
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.organizations import OrganizationRepository
from syncline.store.tables import Organization, User, is_id

_HOW = "send 'Authorization: Bearer <API key>'"


@dataclass(frozen=True)
class Principal:
    """The caller of one request, always inside exactly one organization."""

    organization_id: str
    organization_name: str
    method: str
    user_id: str | None = None
    email: str | None = None
    role: str | None = None
    is_system: bool = False


def authenticate(store: Store, settings: Settings, authorization: str | None) -> Principal:
    """The principal an `Authorization` header value stands for.

    Raises `Unauthorized` with a message saying what is wrong, never echoing
    the credential itself.
    """
    if not authorization or not authorization.strip():
        raise Unauthorized(f"missing credentials: {_HOW}")
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        return _from_api_key(store, credential)
    if scheme.lower() == "basic" and credential:
        return _from_basic(store, settings, credential)
    raise Unauthorized(f"unsupported Authorization header: {_HOW}")


def user_principal(user: User, organization: Organization, method: str) -> Principal:
    """The principal of `user` of `organization`, authenticated by `method`."""
    return Principal(
        organization_id=organization.id,
        organization_name=organization.name,
        method=method,
        user_id=user.id,
        email=user.email,
        role=user.role,
    )


def _from_api_key(store: Store, key: str) -> Principal:
    with store.session() as session:
        found = OrganizationRepository(session).resolve_api_key(key)
        if found is None:
            raise Unauthorized("invalid API key")
        user, organization = found
        return user_principal(user, organization, "api_key")


def _from_basic(store: Store, settings: Settings, credential: str) -> Principal:
    organization_id, key = _basic_pair(credential)
    if settings.deployment_key is None:
        raise Unauthorized(
            "deployment key authentication is disabled: SYNCLINE_DEPLOYMENT_KEY is not set"
        )
    expected = settings.deployment_key.get_secret_value()
    if not key or not hmac.compare_digest(key.encode(), expected.encode()):
        raise Unauthorized("invalid deployment key")
    if not is_id(organization_id):
        raise Unauthorized(
            "malformed Basic credentials: the organization id must be a UUID, "
            "such as the `id` of GET /api/organizations"
        )
    with store.session() as session:
        organization = OrganizationRepository(session).get(organization_id)
        if organization is None:
            raise Unauthorized(f"organization {organization_id} not found")
        return Principal(
            organization_id=organization.id,
            organization_name=organization.name,
            method="deployment_key",
            is_system=True,
        )


def _basic_pair(credential: str) -> tuple[str, str]:
    """The organization id and key of Basic credentials. Raises `Unauthorized`.

    Header values arrive as Latin-1 text, so a credential may hold any
    character; only base64 of UTF-8 `organization_id:key` is accepted.
    """
    malformed = Unauthorized(
        "malformed Basic credentials: expected base64 of 'organization_id:key'"
    )
    if not credential.isascii():
        raise malformed
    try:
        decoded = base64.b64decode(credential, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise malformed from None
    organization_id, colon, key = decoded.partition(":")
    if not colon:
        raise malformed
    return organization_id, key
