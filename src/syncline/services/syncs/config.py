"""The configuration of a model sync, as requests send it and as Syncline keeps it.

`SyncWrite` is the request body of create and update: Polytomic's
`SyncWrite`, accepting both the legacy shape (`identity`, `filters`,
`filter_logic`) and the new one (`identities`, `model_filters`,
`target_filters`). An explicit `null` means "unset" everywhere.

`SyncConfig` is what validation makes of it and what the store keeps: the
new shape only, every filter labelled, defaults filled in. Enumerated values
(mode, functions, strategies) are plain strings here so that validation can
name the offending path instead of pydantic reporting an enum mismatch.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from syncline.services.nul_free import NulFreeModel


class _Lenient(NulFreeModel):
    """Unknown keys are ignored: SDKs and older clients send extra ones."""

    model_config = ConfigDict(extra="ignore")


class Source(_Lenient):
    """A field of a model."""

    model_id: str
    field: str


class SyncField(_Lenient):
    """A mapping from a model field (or a fixed value) to a target field."""

    target: str
    source: Source | None = None
    override_value: Any = None
    sync_mode: str | None = None
    new: bool | None = None
    encryption_enabled: bool | None = None


class OverrideFieldInput(_Lenient):
    """A fixed value written to a target field (`source` is deprecated: it makes a mapping)."""

    target: str
    override_value: Any = None
    sync_mode: str | None = None
    new: bool | None = None
    source: Source | None = None
    encryption_enabled: bool | None = None


class Identity(_Lenient):
    """One match key: a model field matched against a target field."""

    source: Source
    target: str
    function: str
    new_field: bool | None = None
    remote_field_type_id: str | None = None


class Identities(_Lenient):
    """The match keys of a sync, in priority order."""

    mappings: list[Identity] = Field(default_factory=list)
    strategy: str | None = None


class LegacyFilter(_Lenient):
    """A filter in the deprecated mixed shape (`field_type` Model or Target)."""

    function: str
    field: Source | None = None
    field_id: str | None = None
    field_type: str | None = None
    value: Any = None
    value_field: Source | None = None
    label: str | None = None


class ModelFilterCondition(_Lenient):
    """A condition on model rows."""

    source: Source
    function: str
    value: Any = None
    label: str | None = None


class ModelFilters(_Lenient):
    """Conditions on model rows and the logic combining them."""

    conditions: list[ModelFilterCondition] = Field(default_factory=list)
    logic: str | None = None


class TargetFilterCondition(_Lenient):
    """A condition on the target records a sync may touch."""

    field: str
    function: str
    value: Any = None
    value_source: Source | None = None
    label: str | None = None


class TargetFilters(_Lenient):
    """Conditions on target records and the logic combining them."""

    conditions: list[TargetFilterCondition] = Field(default_factory=list)
    logic: str | None = None


class Override(_Lenient):
    """Replace a model field's value with `override` where the condition holds."""

    field: Source | None = None
    field_id: str | None = None
    function: str | None = None
    value: Any = None
    override: Any = None


class RunAfter(_Lenient):
    """The syncs after which a `runafter` sync runs."""

    sync_ids: list[str] = Field(default_factory=list)
    bulk_sync_ids: list[str] = Field(default_factory=list)


class Schedule(BaseModel):
    """When a sync runs. Extra keys are kept (`schedules` of a `multi` schedule)."""

    model_config = ConfigDict(extra="allow")

    frequency: str | None = None
    minute: str | None = None
    hour: str | None = None
    day_of_week: str | None = None
    day_of_month: str | None = None
    month: str | None = None
    run_after: RunAfter | None = None
    run_after_success_only: bool | None = None
    connection_id: str | None = None
    job_id: int | None = None


class SyncTarget(_Lenient):
    """Where a sync writes: an existing object, or one to create."""

    connection_id: str
    object: str | None = None
    create: dict[str, str] | None = None
    new_name: str | None = None
    configuration: dict[str, Any] | None = None
    search_values: dict[str, Any] | None = None
    filter_logic: str | None = None


class SyncWrite(_Lenient):
    """The body of `POST /api/syncs` and `PUT /api/syncs/{id}`."""

    name: str = Field(min_length=1, max_length=255)
    mode: str
    schedule: Schedule
    target: SyncTarget
    fields: list[SyncField]
    active: bool | None = None
    identity: Identity | None = None
    identities: Identities | None = None
    filters: list[LegacyFilter] | None = None
    filter_logic: str | None = None
    model_filters: ModelFilters | None = None
    target_filters: TargetFilters | None = None
    override_fields: list[OverrideFieldInput] | None = None
    overrides: list[Override] | None = None
    encryption_passphrase: str | None = None
    only_enrich_updates: bool | None = None
    skip_initial_backfill: bool | None = None
    sync_all_records: bool | None = None
    organization_id: str | None = None
    policies: list[str] | None = None


class OverrideField(BaseModel):
    """A fixed value for a target field, as kept and returned."""

    target: str
    override_value: Any
    sync_mode: str | None = None
    new: bool = False


class SyncWarning(BaseModel):
    """Something found when a sync was saved that may make some records fail.

    `path` is the JSON path of the value it is about in the request.
    """

    code: str
    message: str
    path: str


class SyncConfig(BaseModel):
    """A validated sync configuration in the new shape, as the store keeps it.

    Every filter condition carries its label; `identities` is None when the
    sync has no match keys; `target.object` is the id of the target object,
    also when it is still to be created (then `target.create`/`new_name` say how).
    """

    name: str
    mode: str
    active: bool = False
    schedule: Schedule
    target: SyncTarget
    fields: list[SyncField]
    override_fields: list[OverrideField] = Field(default_factory=list)
    identities: Identities | None = None
    model_filters: ModelFilters = Field(default_factory=ModelFilters)
    target_filters: TargetFilters = Field(default_factory=TargetFilters)
    overrides: list[Override] = Field(default_factory=list)
    only_enrich_updates: bool = False
    skip_initial_backfill: bool = False
    sync_all_records: bool = False
    policies: list[str] = Field(default_factory=list)
    model_id: str
    """The one model every field, identity and filter of this sync reads."""
    warnings: list[SyncWarning] = Field(default_factory=list)
    """What validation found may fail for some values (see `values`); shown in `problems`."""
