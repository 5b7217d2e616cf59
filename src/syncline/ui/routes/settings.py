"""`/settings`: the visitor's account; for admins, the organization's name, its users
and their API keys.

The rules are the API's (`services.roles`): anyone signed in reads their own
account; users, API keys and the organization's settings are `ADMINISTER`, so
every write here is admin-only and its controls are shown to admins alone.
A new key is shown once, on the answer to the form that made it (never in a
URL, never stored: the store keeps its SHA-256 digest). Revoking a key ends
the sign-ins made with it, the visitor's own included.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from syncline.errors import Conflict, ValidationFailed
from syncline.services.organizations import ApiKeyInfo, OrganizationService, new_user_fields
from syncline.services.roles import ADMINISTER, READ, ROLES, Role
from syncline.services.ui_sessions import session_key_id
from syncline.ui.access import SESSION_COOKIE, Visitor, page
from syncline.ui.deps import app_state
from syncline.ui.errors import redirect
from syncline.ui.forms import field_errors
from syncline.ui.pages import render

router = APIRouter(prefix="/settings", include_in_schema=False)

NOTICES = {
    "renamed": "The organization's name is changed.",
    "user-added": "The user is added. Create an API key for them to sign in with.",
    "revoked": "The key is revoked: calls with it are refused and its sign-ins have ended.",
}
"""What `?done=` says after a change: fixed texts, so a link cannot put words on the page."""

ROLE_CHOICES = {
    Role.VIEWER: "viewer: reads everything, changes nothing",
    Role.USER: "user: also creates, changes and runs connections, models and syncs",
    Role.ADMIN: "admin: also manages users, API keys and the organization",
}


def _organizations(request: Request) -> OrganizationService:
    return OrganizationService(app_state(request).store)


def _settings_page(
    request: Request,
    visitor: Visitor,
    *,
    status_code: int = 200,
    name_errors: dict[str, str] | None = None,
    name_value: str | None = None,
    user_errors: dict[str, str] | None = None,
    user_values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The settings page; a refused form comes back with its values and messages."""
    is_admin = ADMINISTER.permits(visitor.principal)
    context: dict[str, object] = {"is_admin": is_admin}
    if is_admin:
        service = _organizations(request)
        organization_id = visitor.principal.organization_id
        organization = service.get(organization_id)
        keys = service.api_keys(organization_id)
        users = service.users(organization_id)
        key_counts: dict[str, int] = {}
        for key in keys:
            key_counts[key.user_id] = key_counts.get(key.user_id, 0) + 1
        context.update(
            organization=organization,
            keys=keys,
            users=users,
            user_options=[(user.id, user.email) for user in users],
            key_counts=key_counts,
            current_key_id=session_key_id(app_state(request).store, visitor.token),
            name_value=organization.name if name_value is None else name_value,
            name_errors=name_errors or {},
            user_values=user_values or {"email": "", "role": Role.VIEWER.value},
            user_errors=user_errors or {},
            role_options=[(role.value, ROLE_CHOICES[role]) for role in ROLES],
        )
    return render(
        request,
        "settings.html",
        visitor,
        status_code=status_code,
        section="settings",
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
        **context,
    )


@router.get("")
def settings(request: Request, visitor: Annotated[Visitor, page(READ)]) -> HTMLResponse:
    """The visitor's account; for admins also the organization, its users and keys."""
    return _settings_page(request, visitor)


@router.post("/organization")
def rename_organization(
    request: Request, visitor: Annotated[Visitor, page(ADMINISTER)]
) -> Response:
    """Rename the visitor's organization; a refused name comes back beside its field (422)."""
    name = visitor.field("name")
    try:
        _organizations(request).rename(visitor.principal.organization_id, name)
    except ValidationFailed as exc:
        return _settings_page(
            request, visitor, status_code=422, name_errors=field_errors(exc), name_value=name
        )
    return redirect(request, "/settings?done=renamed")


@router.post("/users")
def add_user(request: Request, visitor: Annotated[Visitor, page(ADMINISTER)]) -> Response:
    """Add a user to the visitor's organization. Bad fields come back beside their
    controls (422); an e-mail already in use beside the e-mail (409)."""
    values = {"email": visitor.field("email").strip(), "role": visitor.field("role")}
    try:
        email, role = new_user_fields(values["email"], values["role"])
        _organizations(request).add_user(visitor.principal.organization_id, email, role)
    except ValidationFailed as exc:
        return _settings_page(
            request, visitor, status_code=422, user_errors=field_errors(exc), user_values=values
        )
    except Conflict as exc:
        return _settings_page(
            request,
            visitor,
            status_code=409,
            user_errors={"email": exc.message},
            user_values=values,
        )
    return redirect(request, "/settings?done=user-added")


@router.post("/keys")
def create_key(request: Request, visitor: Annotated[Visitor, page(ADMINISTER)]) -> HTMLResponse:
    """Make a key for a user of the visitor's organization (form field `user_id`) and
    show it, once: this answer is the only place it ever appears. Another
    organization's user, or none, is 404."""
    service = _organizations(request)
    organization_id = visitor.principal.organization_id
    user = service.user(organization_id, visitor.field("user_id"))
    key = service.create_api_key(organization_id, user.id, force=False)
    return render(request, "settings_key.html", visitor, section="settings", user=user, key=key)


@router.get("/keys/{key_id}/revoke")
def confirm_revoke(
    request: Request, key_id: str, visitor: Annotated[Visitor, page(ADMINISTER)]
) -> HTMLResponse:
    """Ask before revoking a key, saying when it is the one the visitor is signed in with."""
    key: ApiKeyInfo = _organizations(request).api_key(visitor.principal.organization_id, key_id)
    current = session_key_id(app_state(request).store, visitor.token) == key.id
    return render(
        request, "settings_revoke.html", visitor, section="settings", key=key, current=current
    )


@router.post("/keys/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: str, visitor: Annotated[Visitor, page(ADMINISTER)]
) -> Response:
    """Revoke a key of the visitor's organization (another organization's is 404).

    When it is the key of the visitor's own sign-in, that session has ended with
    it: the browser goes to the sign-in page and forgets the cookie.
    """
    store = app_state(request).store
    own = session_key_id(store, visitor.token) == key_id
    _organizations(request).revoke_api_key(visitor.principal.organization_id, key_id)
    if not own:
        return redirect(request, "/settings?done=revoked")
    response = redirect(request, "/signin")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
