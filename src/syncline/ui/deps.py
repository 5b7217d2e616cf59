"""The services a page uses, made for its visitor: the same classes the API uses."""

from __future__ import annotations

from fastapi import Request

from syncline.api.deps import AppState
from syncline.services.connections import ConnectionService
from syncline.services.executions import ExecutionService
from syncline.services.models import ModelService
from syncline.services.syncs.service import SyncService
from syncline.ui.access import Visitor


def app_state(request: Request) -> AppState:
    """What the app factory attached."""
    state: AppState = request.app.state.syncline
    return state


def connections(request: Request, visitor: Visitor) -> ConnectionService:
    state = app_state(request)
    return ConnectionService(state.store, state.box, state.settings, visitor.principal)


def models(request: Request, visitor: Visitor) -> ModelService:
    return ModelService(connections(request, visitor))


def syncs(request: Request, visitor: Visitor) -> SyncService:
    return SyncService(connections(request, visitor))


def executions(request: Request, visitor: Visitor) -> ExecutionService:
    state = app_state(request)
    return ExecutionService(
        state.store, state.box, state.settings, state.executor, visitor.principal
    )
