"""Access rules: declared once per route, refused with a message naming what is needed."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from syncline.api.access import allow, require_rules
from syncline.errors import Forbidden, Unauthorized
from syncline.services.auth import Principal
from syncline.services.roles import (
    ADMINISTER,
    DEPLOYMENT,
    READ,
    SIGNED_LINK,
    WRITE,
    Role,
    role_of,
)


def _member(role: str | None, *, system: bool = False) -> Principal:
    return Principal(
        organization_id="org",
        organization_name="Org",
        method="api_key",
        role=role,
        is_system=system,
    )


def test_the_app_refuses_to_start_with_a_route_that_declares_no_rule() -> None:
    router = APIRouter(prefix="/api/things")

    @router.get("", dependencies=[allow(READ)])
    def ruled() -> dict[str, str]:
        return {}

    @router.post("")
    def unruled() -> dict[str, str]:
        return {}

    @router.delete("", dependencies=[allow(READ), allow(WRITE)])
    def twice_ruled() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    with pytest.raises(RuntimeError) as refused:
        require_rules(app)
    assert "POST /api/things" in str(refused.value)
    assert "DELETE /api/things" in str(refused.value)
    assert "GET /api/things" not in str(refused.value)


def test_each_role_includes_the_roles_below_it() -> None:
    assert [READ.permits(_member(r)) for r in ("viewer", "user", "admin")] == [True] * 3
    assert [WRITE.permits(_member(r)) for r in ("viewer", "user", "admin")] == [False, True, True]
    assert [ADMINISTER.permits(_member(r)) for r in ("viewer", "user", "admin")] == [
        False,
        False,
        True,
    ]


def test_the_deployment_key_acts_as_admin_and_alone_passes_the_deployment_rule() -> None:
    deployment = _member(None, system=True)
    assert role_of(deployment) is Role.ADMIN
    assert ADMINISTER.permits(deployment)
    assert DEPLOYMENT.permits(deployment)
    assert not DEPLOYMENT.permits(_member("admin"))


def test_a_refusal_names_the_role_needed_and_the_role_held() -> None:
    with pytest.raises(Forbidden) as refused:
        WRITE.check(_member("viewer"))
    assert refused.value.message == (
        "this operation needs the user role or higher; this key's role is viewer"
    )
    assert refused.value.metadata == {"required_role": "user", "role": "viewer"}
    with pytest.raises(Forbidden, match="deployment key"):
        DEPLOYMENT.check(_member("admin"))


def test_an_unknown_stored_role_counts_as_viewer() -> None:
    assert role_of(_member("owner")) is Role.VIEWER
    assert role_of(_member(None)) is Role.VIEWER
    assert not WRITE.permits(_member("owner"))


def test_a_signed_link_rule_needs_no_principal_and_the_others_do() -> None:
    SIGNED_LINK.check(None)
    with pytest.raises(Unauthorized):
        READ.check(None)
