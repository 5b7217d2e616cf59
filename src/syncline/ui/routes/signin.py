"""`/signin` and `/signout`: a session from an API key, and its end."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from syncline.api.deps import AppState
from syncline.errors import Unauthorized
from syncline.services.roles import READ, SIGN_IN
from syncline.services.ui_sessions import session_principal, sign_in, sign_out
from syncline.ui.access import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    Visitor,
    page,
    public_page,
)
from syncline.ui.errors import redirect
from syncline.ui.pages import render

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, else the overview."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _signin_page(
    request: Request, next_path: str, message: str = "", status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        None,
        status_code=status_code,
        next=next_path,
        signin_token=token,
        message=message,
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/signin",
    )
    return response


@router.get("/signin")
async def signin_form(
    request: Request,
    form: Annotated[FormData | None, public_page(SIGN_IN)],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    state: AppState = request.app.state.syncline
    token = request.cookies.get(SESSION_COOKIE) or ""
    if token and await run_in_threadpool(session_principal, state.store, token) is not None:
        return redirect(request, safe_next(next))
    return _signin_page(request, safe_next(next))


@router.post("/signin")
async def signin_submit(
    request: Request, form: Annotated[FormData, public_page(SIGN_IN)]
) -> Response:
    state: AppState = request.app.state.syncline
    key = form.get("api_key")
    next_path = safe_next(str(form.get("next") or ""))
    try:
        token, _ = await run_in_threadpool(
            sign_in, state.store, state.settings, key if isinstance(key, str) else ""
        )
    except Unauthorized as exc:
        return _signin_page(request, next_path, f"{exc.message[:1].upper()}{exc.message[1:]}.", 401)
    response = redirect(request, next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(state.settings.ui_session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request, visitor: Annotated[Visitor, page(READ)]) -> Response:
    state: AppState = request.app.state.syncline
    await run_in_threadpool(sign_out, state.store, visitor.token)
    response = redirect(request, "/signin")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
