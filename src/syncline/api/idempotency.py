"""The `Idempotency-Key` request header, applied around every write endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from syncline.api import errors
from syncline.api.deps import PRINCIPAL_SCOPE_KEY, AppState
from syncline.errors import SynclineError, Unauthorized
from syncline.services.auth import Principal, authenticate
from syncline.services.idempotency import (
    IdempotencyService,
    StoredOutcome,
    check_key,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def idempotency(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Replay the first outcome of a write sent again with the same key.

    Requests without the header, reads, and requests whose credentials fail
    pass through untouched (the endpoint then answers as usual).
    """
    key = request.headers.get(HEADER)
    if key is None or request.method not in _WRITES:
        return await call_next(request)
    state: AppState = request.app.state.syncline
    try:
        check_key(key)
        # The request guard authenticated every write before its body was read.
        known = request.scope.get(PRINCIPAL_SCOPE_KEY)
        principal: Principal = (
            known
            if isinstance(known, Principal)
            else await run_in_threadpool(
                authenticate, state.store, state.settings, request.headers.get("Authorization")
            )
        )
    except Unauthorized:
        return await call_next(request)
    except SynclineError as exc:
        return errors.envelope(errors.status_of(exc), exc.message, exc.key, exc.metadata)

    service = IdempotencyService(state.store, state.box, principal.organization_id)
    body = await request.body()
    who = principal.user_id or principal.method
    digest = service.fingerprint(
        request.method, request.url.path, request.url.query, body, caller=who
    )
    try:
        stored = await run_in_threadpool(service.claim, key, digest)
    except SynclineError as exc:
        return errors.envelope(errors.status_of(exc), exc.message, exc.key, exc.metadata)
    if stored is not None:
        return _replay(stored)

    try:
        response = await call_next(request)
        content = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    except BaseException:
        await run_in_threadpool(service.release, key)
        raise
    outcome = StoredOutcome(response.status_code, response.headers.get("content-type", ""), content)
    await run_in_threadpool(service.finish, key, outcome)
    return Response(
        content=content,
        status_code=response.status_code,
        headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"},
    )


def _replay(stored: StoredOutcome) -> Response:
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        media_type=stored.content_type or None,
        headers={REPLAYED_HEADER: "true"},
    )
