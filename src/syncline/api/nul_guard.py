"""Requests whose path or query holds a NUL character are refused up front.

No id, token or name Syncline issues contains NUL, and PostgreSQL (the
metadata store in production) refuses it in text, so a NUL that reached a
query would be a database error instead of an answer. Checking the whole
decoded path and query here covers every route and parameter at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import unquote_to_bytes

from fastapi import Request, Response

from syncline.api import errors


async def refuse_nul(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Answer 400 when the decoded path or query string contains NUL (`%00`)."""
    path: str = request.scope.get("path", "")
    query: bytes = request.scope.get("query_string", b"")
    if "\x00" in path:
        return errors.envelope(
            400, "the request path contains a NUL character (%00); no id holds one", "bad_request"
        )
    if b"\x00" in unquote_to_bytes(query):
        return errors.envelope(
            400,
            "the query string contains a NUL character (%00); no parameter may hold one",
            "bad_request",
        )
    return await call_next(request)
