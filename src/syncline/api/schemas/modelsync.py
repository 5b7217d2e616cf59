"""Model-sync source and target discovery shapes (spec sections 4 and 5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class SourceMetaItem(BaseModel):
    """`SourceMeta`: the choices for one configuration item."""

    has_items: bool
    items: list[dict[str, Any]]
    requires_one_of: list[str] = []


class ConfigurationValue(BaseModel):
    """A configuration key of a model and its choices."""

    type: str
    items: list[dict[str, Any]] = []


class SourceMeta(BaseModel):
    """`SyncSourceMetaResponse`."""

    items: dict[str, SourceMetaItem | None]
    requires_one_of: list[str]
    configuration: dict[str, ConfigurationValue]


class ModelField(BaseModel):
    """A field of a source configuration (`ModelField`)."""

    id: str
    name: str
    label: str
    type: str
    remote_type: str
    description: str = ""
    example: Any = None
    unique: bool = False
    user_added: bool = False


class SupportedMode(BaseModel):
    """A mode a target object supports."""

    id: str
    requires_identity: bool
    supports_per_field_mode: bool
    supports_target_filters: bool


class TargetObject(BaseModel):
    """An object a sync can write to."""

    id: str
    name: str
    modes: list[SupportedMode]


class EnumValue(BaseModel):
    """A value of an enum property."""

    value: str
    label: str


class TargetPropertyValues(BaseModel):
    """An input for creating a new target."""

    id: str
    title: str
    enum: bool
    values: list[EnumValue] | None = None


class TargetCreator(BaseModel):
    """`target_creation` beside `data` in the target-objects answer."""

    supported: bool
    properties: list[TargetPropertyValues]


class TargetObjectsEnvelope(BaseModel):
    """`{data: [TargetObject], target_creation: TargetCreator}`."""

    data: list[TargetObject]
    target_creation: TargetCreator


class Mode(BaseModel):
    """A mode as described on one target (`Mode`)."""

    mode: str
    label: str
    description: str
    requires_identity: bool
    supports_field_sync_mode: bool
    supports_target_filters: bool


class IdentityFunction(BaseModel):
    """An identity function a target field supports."""

    id: str
    label: str


class SupportedFilterFunction(BaseModel):
    """A filter function a target field supports."""

    id: str
    label: str
    requires_value: bool
    multi_value: bool
    values: list[dict[str, Any]] = []


class TargetField(BaseModel):
    """A field of a target object."""

    id: str
    name: str
    description: str = ""
    type: str
    source_type: str
    required: bool
    createable: bool
    updateable: bool
    filterable: bool
    encryptable: bool = False
    association: bool = False
    multiple_associations: bool = False
    supports_identity: bool
    identity_functions: list[IdentityFunction]
    filter_functions: list[SupportedFilterFunction]
    values: list[dict[str, Any]] = []


class DestinationProperties(BaseModel):
    """`SyncDestinationProperties`."""

    does_not_report_operation_counts: bool = False
    mappings_not_required: bool = False
    optional_target_mappings: bool = False
    requires_configuration: bool = False
    supports_field_creation: bool = False
    supports_field_encryption: bool = False
    supports_field_type_selection: bool = False
    supports_filter_value_fields: bool = False
    supports_identity_field_creation: bool = False
    supports_multiple_identities: bool = False
    supports_target_filters: bool = False
    target_creator: bool = False
    use_field_names_as_labels: bool = False
    new_target_label: str = ""
    primary_metadata_object: str = ""


class TargetResponse(BaseModel):
    """One target object's fields, modes and properties."""

    id: str
    name: str
    fields: list[TargetField]
    modes: list[Mode]
    properties: DestinationProperties
    refreshed_at: str
