"""Every route of the app, for tests that walk them all.

FastAPI 0.16x keeps included routers as nodes of `app.routes` instead of
copying their routes into it, so a plain `isinstance(route, APIRoute)` filter
over `app.routes` sees none of the API; `iter_route_contexts` flattens them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class ApiRoute:
    """One API route: its full path template and methods."""

    path: str
    methods: frozenset[str]


def api_routes(app: FastAPI) -> list[ApiRoute]:
    """Every route of `app` served by an API endpoint (not /docs or /openapi.json)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.16x: included routes are copied into app.routes
        return [
            ApiRoute(r.path, frozenset(r.methods)) for r in app.routes if isinstance(r, APIRoute)
        ]
    found = [
        ApiRoute(str(context.path), frozenset(context.methods or ()))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert found, "no API routes found: the route walk no longer matches FastAPI"
    return found
