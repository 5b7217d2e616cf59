"""Every route of the app, flat: its full path, methods, endpoint and dependencies.

FastAPI keeps included routers either copied into `app.routes` (older
releases) or as nested branches walked by `fastapi.routing.iter_route_contexts`
(newer ones); this module reads both, so the OpenAPI document, the `Allow`
header and the tests see the same list of operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles


@dataclass(frozen=True)
class Operation:
    """One API route: what FastAPI documents as one or more operations."""

    path: str
    methods: frozenset[str]
    endpoint: Callable[..., Any]
    dependant: Dependant
    path_regex: re.Pattern[str]
    include_in_schema: bool

    def depends_on(self, call: Callable[..., Any]) -> bool:
        """Whether `call` is among the route's dependencies, however deep."""
        return _depends_on(self.dependant, call)


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _flat_routes(app: FastAPI) -> Iterator[Any]:
    iterate = getattr(routing, "iter_route_contexts", None)
    if iterate is None:
        yield from app.routes
        return
    yield from iterate(app.routes)


def operations(app: FastAPI) -> list[Operation]:
    """The app's API routes (not the docs pages nor static files), in routing order."""
    found = []
    for route in _flat_routes(app):
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute):
            continue
        found.append(
            Operation(
                path=route.path,
                methods=frozenset(route.methods or ()),
                endpoint=route.endpoint,
                dependant=route.dependant,
                path_regex=route.path_regex,
                include_in_schema=route.include_in_schema,
            )
        )
    return found


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Every method some route of the app accepts on `path` (empty when none serves it)."""
    allowed: set[str] = set()
    for route in _flat_routes(app):
        original: BaseRoute = getattr(route, "original_route", route)
        if isinstance(original, Mount) and isinstance(original.app, StaticFiles):
            if path.startswith(original.path + "/"):
                allowed |= {"GET", "HEAD"}
        elif isinstance(original, Route) and route.path_regex.match(path):
            allowed |= set(route.methods or ())
    return allowed
