"""Who is looking at a page, and whether they may: the UI's side of the access rules.

Every page declares its rule as its `Visitor` parameter:
`visitor: Visitor = page(READ)`. The check is the page's first dependency and
runs before any body is read: it resolves the session cookie to a principal
(no session: `SignInNeeded`, which sends the browser to `/signin`), applies
the rule (`Rule.check`, the API's own), and for a write (POST) reads the form
and compares its CSRF token with the session's, refusing a mismatch with 403.
`syncline.api.access.require_rules` finds the rule through the check's `rule`
attribute, so a page without one stops the app from starting.
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request, params
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from syncline.api.deps import AppState
from syncline.errors import Forbidden
from syncline.services.auth import Principal
from syncline.services.roles import WRITE, Role, Rule, role_of
from syncline.services.ui_sessions import csrf_matches, csrf_token, session_principal

SESSION_COOKIE = "syncline_session"
SIGNIN_COOKIE = "syncline_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM_FIELDS = 2000


class SignInNeeded(Exception):
    """The page needs a session and there is none (or it ended): go to `/signin`."""

    def __init__(self, back_to: str) -> None:
        super().__init__("sign in first")
        self.back_to = back_to


@dataclass(frozen=True)
class Visitor:
    """The signed-in person looking at a page."""

    principal: Principal
    token: str
    form: FormData | None = None
    """The posted form, CSRF-checked (POST pages only)."""

    @property
    def role(self) -> Role:
        return role_of(self.principal)

    @property
    def can_write(self) -> bool:
        """Whether write controls are shown: the role passes the API's write rule."""
        return WRITE.permits(self.principal)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    def field(self, name: str, default: str = "") -> str:
        """One text field of the posted form (`default` when absent)."""
        if self.form is None:
            return default
        value = self.form.get(name)
        return value if isinstance(value, str) else default


def back_to(request: Request) -> str:
    """The page's own path and query, as a `next` value for the sign-in page."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def signin_url(next_path: str) -> str:
    """The sign-in page, returning to `next_path` afterwards."""
    return "/signin?next=" + quote(next_path, safe="/")


class _PageCheck:
    """The dependency enforcing one page's rule; see the module docstring."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    async def __call__(self, request: Request) -> Visitor:
        state: AppState = request.app.state.syncline
        token = request.cookies.get(SESSION_COOKIE) or ""
        principal = await run_in_threadpool(session_principal, state.store, token)
        if principal is None:
            raise SignInNeeded(back_to(request) if request.method == "GET" else "/")
        # Kept for the error page, which shows the same navigation.
        request.state.visitor = Visitor(principal, token)
        self.rule.check(principal)
        if request.method == "GET":
            return Visitor(principal, token)
        form = await _checked_form(request, lambda sent: csrf_matches(token, sent))
        return Visitor(principal, token, form)


class _PublicCheck:
    """The dependency of the sign-in page, which needs no session.

    Its form is checked against the `SIGNIN_COOKIE` it was served with (a
    double-submit token), so another site cannot sign a browser in.
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    async def __call__(self, request: Request) -> FormData | None:
        self.rule.check(None)
        if request.method == "GET":
            return None
        cookie = request.cookies.get(SIGNIN_COOKIE) or ""
        return await _checked_form(
            request, lambda sent: bool(cookie and sent) and hmac.compare_digest(cookie, sent or "")
        )


async def _checked_form(request: Request, matches: Callable[[str | None], bool]) -> FormData:
    """The posted form, once its CSRF token (field or header) `matches`; else 403."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not matches(sent if isinstance(sent, str) else None):
        raise Forbidden(
            "the form's security token is missing or out of date; reload the page and try again"
        )
    return form


def page(rule: Rule) -> Any:
    """The `Visitor` parameter of a page that `rule` guards."""
    return params.Depends(_PageCheck(rule))


def public_page(rule: Rule) -> Any:
    """The form parameter of a page anyone may use (`rule` needs no credential): None
    on GET, the CSRF-checked form on POST."""
    return params.Depends(_PublicCheck(rule))
