"""Model sync shapes (spec section 3). Nested configuration types are the service's."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from syncline.api.schemas.common import Actor, Request
from syncline.services.syncs.config import (
    Identities,
    ModelFilters,
    Override,
    OverrideField,
    SyncField,
    SyncTarget,
    TargetFilters,
)


class Problem(BaseModel):
    """A reference of the sync that no longer resolves."""

    code: str
    message: str
    path: str
    severity: str | None = "error"


class Sync(BaseModel):
    """`ModelSyncV5Response`: the configuration in both shapes, plus bookkeeping."""

    id: str
    name: str
    active: bool
    mode: str
    organization_id: str
    model_ids: list[str]
    target: SyncTarget
    fields: list[SyncField]
    override_fields: list[OverrideField]
    identities: Identities | None
    identity: dict[str, Any] | None
    model_filters: ModelFilters
    target_filters: TargetFilters
    filters: list[dict[str, Any]]
    filter_logic: str
    overrides: list[Override]
    schedule: dict[str, Any]
    only_enrich_updates: bool
    skip_initial_backfill: bool
    sync_all_records: bool
    policies: list[str]
    encryption_passphrase: str | None = None
    created_at: str
    created_by: Actor | None = None
    updated_at: str
    updated_by: Actor | None = None
    problems: list[Problem]


class SyncListItem(BaseModel):
    """One row of `GET /api/syncs`."""

    id: str
    name: str
    active: bool
    mode: str
    model_ids: list[str]
    organization_id: str
    schedule: dict[str, Any]
    target_connection_id: str
    target_object: str | None
    only_enrich_updates: bool
    skip_initial_backfill: bool
    sync_all_records: bool
    created_at: str
    created_by: Actor | None = None
    updated_at: str
    updated_by: Actor | None = None


class Activate(Request):
    """Body of `POST /api/syncs/{id}/activate`."""

    active: bool


class Activated(BaseModel):
    """Answer of activate."""

    id: str
    active: bool


class ErrorHandling(Request):
    """`SyncErrorHandling`."""

    auto_retry_record_errors: bool = True
    notify_on_record_errors: bool = False
    subscribers: list[str] = Field(default_factory=list)
    warning_notifications: bool = False


class ScheduleOption(BaseModel):
    """One frequency and its form."""

    frequency: str
    label: str
    description: str
    configuration: dict[str, Any]


class ScheduleOptions(BaseModel):
    """Answer of `GET /api/syncs/schedules`."""

    schedule_options: list[ScheduleOption]
