"""Errors on UI paths answer as pages; the API keeps its JSON envelope.

`install` wraps the app's exception handlers (`syncline.api.errors`): for a
path outside `/api` (and the API's docs), a person sees a page saying what
went wrong, with the same status; a missing or ended session sends the
browser to `/signin`, coming back afterwards (htmx requests get `HX-Redirect`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from syncline.api.errors import status_of
from syncline.api.request_guard import is_api_path
from syncline.api.route_table import allowed_methods
from syncline.errors import SynclineError
from syncline.ui.access import SignInNeeded, signin_url
from syncline.ui.pages import render

log = logging.getLogger("syncline.ui")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_API_PAGES = ("/docs", "/openapi.json", "/static/")


def is_ui_path(path: str) -> bool:
    """Whether `path` is the web UI's (not the API's nor its documentation's)."""
    return not is_api_path(path) and not path.startswith(_API_PAGES)


def redirect(request: Request, url: str) -> Response:
    """Send the browser to `url`: a 303, or `HX-Redirect` for an htmx request."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _message(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, SynclineError):
        return status_of(exc), exc.message
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return 404, "There is no page here."
        if exc.status_code == 405:
            return 405, "This page cannot be used that way."
        return exc.status_code, str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return 400, "The address or form holds a value this page cannot use."
    log.exception("unexpected error on a page", exc_info=exc)
    return 500, "Something went wrong on the server; its log has the details."


def _either(api_handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if not is_ui_path(request.url.path):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        status, message = _message(exc)
        visitor = getattr(request.state, "visitor", None)
        page = render(
            request, "error.html", visitor, status_code=status, status=status, message=message
        )
        if status == 405:
            page.headers["Allow"] = ", ".join(
                sorted(allowed_methods(request.app, request.url.path))
            )
        return page

    return handle


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return redirect(request, signin_url(exc.back_to))


def install(app: FastAPI) -> None:
    """Answer errors on UI paths with pages (after `syncline.api.errors.install`)."""
    for kind in (SynclineError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, _either(app.exception_handlers[kind]))
    app.add_exception_handler(SignInNeeded, _sign_in)
