"""Execution shapes (spec sections 3 and 6)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from syncline.api.schemas.common import Request


class StartExecution(Request):
    """Body of `POST /api/syncs/{id}/executions`."""

    resync: bool | None = None
    test: bool | None = None
    identities: list[str] | None = None
    source_identities: list[list[dict[str, Any]]] | None = None


class UpdateExecution(Request):
    """Body of `PUT /api/syncs/{id}/executions/{execution_id}` (API 2024-02-08)."""

    status: str


class ExecutionStarted(BaseModel):
    """Answer of start."""

    id: str
    status: str
    created_at: str


class ExecutionCounts(BaseModel):
    """Record counts of an execution."""

    total: int = 0
    insert: int = 0
    update: int = 0
    upserts: int = 0
    delete: int = 0
    error: int = 0
    warnings: int = 0


class Execution(BaseModel):
    """One run of a sync."""

    id: str
    status: str
    type: str
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    counts: ExecutionCounts
    errors: list[str]
    version: str


class SyncStatus(BaseModel):
    """Answer of `GET /api/syncs/{id}/status`."""

    current_execution: Execution | None
    last_execution: Execution | None
    next_execution_time: str | None


class Message(BaseModel):
    """A message for people (cancel answers)."""

    message: str


class ConsoleEntry(BaseModel):
    """One console line."""

    id: str
    timestamp: str
    level: str
    message: str
    payload: dict[str, Any]


class ConsoleLog(BaseModel):
    """A page of console lines."""

    entries: list[ConsoleEntry]
    next_cursor: str | None


class LogIndexEntry(BaseModel):
    """How many records of one kind were logged, and where."""

    count: int
    url: str


class LogUrls(BaseModel):
    """Signed download URLs of a record-log kind."""

    urls: list[str]
    expires: str
