"""Polytomic's error envelope, and the one place exceptions become HTTP statuses.

Every error answer is `{"status": int, "message": str, "key": str, "metadata": {}}`.
`STATUS` maps each exception class to its status; on a call whose SDKs do not
declare that status, `sdk_statuses` picks the one they declare (except for
`NotFound`, which tenancy keeps a 404).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from syncline import errors
from syncline.api.route_table import allowed_methods
from syncline.api.sdk_statuses import status_for
from syncline.errors import SynclineError, validation_failed

log = logging.getLogger("syncline.api")

STATUS: dict[type[SynclineError], int] = {
    errors.NotFound: 404,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.BadRequest: 400,
    errors.ValidationFailed: 422,
    errors.Conflict: 409,
    errors.InUse: 422,
    errors.ConnectionCheckFailed: 400,
    errors.ObjectNotFound: 404,
    errors.InvalidSourceConfiguration: 400,
    errors.ConnectorError: 400,
}

_HTTP_KEYS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "content_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


def status_of(exc: SynclineError) -> int:
    """The HTTP status of a Syncline error: its nearest mapped class, else 500."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def envelope(
    status: int,
    message: str,
    key: str,
    metadata: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error response in Polytomic's envelope, with any extra `headers`."""
    body = {"status": status, "message": message, "key": key, "metadata": metadata or {}}
    sent = dict(headers or {})
    if status == 401:
        sent["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, headers=sent or None)


def http_key(status: int) -> str:
    """The envelope's `key` for an HTTP-level error status."""
    return _HTTP_KEYS.get(status, "error")


async def _syncline_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SynclineError)
    status = status_of(exc)
    # A Syncline object that is missing or another organization's stays a 404 on
    # every call: tenancy answers the same whatever an SDK declares.
    if not isinstance(exc, errors.NotFound):
        status = status_for(request, status)
    if status >= 500:
        log.error("request failed: %s", exc.message)
    return envelope(status, exc.message, exc.key, exc.metadata)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = [dict(e) for e in exc.errors()]
    if any(e.get("type") == "json_invalid" for e in raw):
        detail = next(e for e in raw if e.get("type") == "json_invalid")
        reason = detail.get("ctx", {}).get("error", "invalid JSON")
        return envelope(400, f"malformed JSON body: {reason}", "invalid_json")
    for error in raw:
        location = list(error.get("loc", ()))
        if location and location[0] == "body":
            location = location[1:]
            if not location:
                location = ["body"]
                error["type"] = "body"
                error["msg"] = "the request body must be a JSON object"
        elif location and location[0] in ("query", "path", "header"):
            location = [f"{location[0]} parameter {'.'.join(map(str, location[1:]))}"]
        error["loc"] = tuple(location)
    failed = validation_failed(raw)
    return envelope(status_for(request, 422), failed.message, failed.key, failed.metadata)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = f"not found: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
        # Starlette names only the methods of the first route matching the path;
        # the path may be served by several (GET and POST /api/connections).
        allowed = allowed_methods(request.app, request.url.path)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    else:
        message = str(exc.detail)
    return envelope(exc.status_code, message, http_key(exc.status_code), headers=headers)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return envelope(500, "internal error; the server log has the details", "internal_error")


def install(app: FastAPI) -> None:
    """Route every error of `app` through the envelope."""
    app.add_exception_handler(SynclineError, _syncline_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
