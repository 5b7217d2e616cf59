"""API versions: which one serves a request, and where the shapes differ by version.

A request names its version in `X-Polytomic-Version`. One without the
header is served as `UNVERSIONED`: the TypeScript SDK (npm `polytomic`
1.18.x) sends none, and the shapes it declares are those of 2024-02-08.
Versions are `YYYY-MM-DD` strings, so they compare in date order.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

VERSION_HEADER = "X-Polytomic-Version"

LATEST = "2025-09-18"

UNVERSIONED = "2024-02-08"
"""The version that serves a request without `X-Polytomic-Version`."""

PAGED_SYNC_LIST = "2025-09-18"
"""From this version on, `GET /api/syncs` answers list items a page at a time;
before it, every matching sync in full (`ModelSyncResponse`), unpaged."""


def request_version(request: Request) -> str:
    """The version serving `request`, as the version middleware resolved it."""
    version: str = getattr(request.state, "api_version", UNVERSIONED)
    return version


ApiVersion = Annotated[str, Depends(request_version)]


def pages_sync_list(version: str) -> bool:
    """Whether `GET /api/syncs` answers pages of list items in `version`."""
    return version >= PAGED_SYNC_LIST
