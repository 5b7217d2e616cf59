"""Request-scoped dependencies: the app's state, the caller, and services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from syncline.execution.base import Executor
from syncline.services.auth import Principal, authenticate
from syncline.services.connections import ConnectionService
from syncline.services.discovery import DiscoveryService
from syncline.services.scheduling import Scheduler
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.secrets import SecretBox


@dataclass
class AppState:
    """What every request of one app shares."""

    settings: Settings
    store: Store
    box: SecretBox
    executor: Executor
    scheduler: Scheduler


def app_state(request: Request) -> AppState:
    """The state the app factory attached."""
    state: AppState = request.app.state.syncline
    return state


State = Annotated[AppState, Depends(app_state)]


PRINCIPAL_SCOPE_KEY = "syncline.principal"


def current_principal(
    request: Request, state: State, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The authenticated caller. Raises `Unauthorized`.

    A write was authenticated before its body was read (`api.request_guard`),
    which kept its principal in the request scope: that one is not looked up again.
    """
    known = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(known, Principal):
        return known
    return authenticate(state.store, state.settings, authorization)


Caller = Annotated[Principal, Depends(current_principal)]


def connection_service(state: State, caller: Caller) -> ConnectionService:
    """Connections of the caller's organization."""
    return ConnectionService(state.store, state.box, state.settings, caller)


Connections = Annotated[ConnectionService, Depends(connection_service)]


def discovery_service(connections: Connections) -> DiscoveryService:
    """Source and target discovery on the caller's connections."""
    return DiscoveryService(connections)


Discovery = Annotated[DiscoveryService, Depends(discovery_service)]

_BRACKET = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\[(?P<key>[^\]]*)\]$")


def bracket_params(request: Request, name: str) -> dict[str, list[str]]:
    """A map-valued query parameter in bracket form: `params[table]=a&params[schema]=x`."""
    found: dict[str, list[str]] = {}
    for raw_key, value in request.query_params.multi_items():
        match = _BRACKET.match(raw_key)
        if match and match["name"] == name:
            found.setdefault(match["key"], []).append(value)
    return found
