"""`/api/connections/{id}/modelsync/...`: what a connection offers as source and target."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from syncline.api.access import allow
from syncline.api.deps import Discovery
from syncline.api.query_maps import map_param
from syncline.api.schemas import modelsync as schemas
from syncline.api.schemas.common import Envelope, timestamp
from syncline.connectors.base import (
    Choice,
    ModeSupport,
    SourceDescription,
    TargetDescription,
    TargetField,
)
from syncline.connectors.vocabulary import (
    FILTER_FUNCTIONS,
    IDENTITY_FUNCTION_LABELS,
    MODE_INFO,
    ValueShape,
)
from syncline.errors import NotFound
from syncline.services.roles import READ

router = APIRouter(prefix="/api/connections/{connection_id}/modelsync", tags=["model sync"])


def _choice(choice: Choice) -> dict[str, str]:
    return {"value": choice.value, "label": choice.label}


def source_meta_out(description: SourceDescription) -> schemas.SourceMeta:
    """A source description as `SyncSourceMetaResponse`."""
    items: dict[str, schemas.SourceMetaItem | None] = {}
    for name, item in description.items.items():
        items[name] = (
            None
            if item is None
            else schemas.SourceMetaItem(
                has_items=bool(item.choices),
                items=[_choice(c) for c in item.choices],
                requires_one_of=item.requires_one_of,
            )
        )
    return schemas.SourceMeta(
        items=items,
        requires_one_of=description.requires_one_of,
        configuration={
            name: schemas.ConfigurationValue(type=opt.type, items=[_choice(c) for c in opt.choices])
            for name, opt in description.configuration.items()
        },
    )


def _supported_mode(mode: ModeSupport) -> schemas.SupportedMode:
    return schemas.SupportedMode(
        id=mode.mode.value,
        requires_identity=mode.requires_identity,
        supports_per_field_mode=mode.supports_per_field_mode,
        supports_target_filters=mode.supports_target_filters,
    )


def _mode(mode: ModeSupport) -> schemas.Mode:
    info = MODE_INFO[mode.mode]
    return schemas.Mode(
        mode=mode.mode.value,
        label=info.label,
        description=info.description,
        requires_identity=mode.requires_identity,
        supports_field_sync_mode=mode.supports_per_field_mode,
        supports_target_filters=mode.supports_target_filters,
    )


def _target_field(field: TargetField) -> schemas.TargetField:
    return schemas.TargetField(
        id=field.id,
        name=field.name,
        description=field.description,
        type=field.type.value,
        source_type=field.remote_type,
        required=field.required,
        createable=field.createable,
        updateable=field.updateable,
        filterable=field.filterable,
        supports_identity=field.supports_identity,
        identity_functions=[
            schemas.IdentityFunction(id=f.value, label=IDENTITY_FUNCTION_LABELS[f])
            for f in (field.identity_functions if field.supports_identity else ())
        ],
        filter_functions=[
            schemas.SupportedFilterFunction(
                id=f.value,
                label=FILTER_FUNCTIONS[f].label,
                requires_value=FILTER_FUNCTIONS[f].shape is not ValueShape.NONE,
                multi_value=FILTER_FUNCTIONS[f].shape in (ValueShape.LIST, ValueShape.PAIR),
            )
            for f in field.filter_functions
        ],
    )


def target_out(description: TargetDescription) -> schemas.TargetResponse:
    """A target description as `TargetResponse`."""
    props = description.properties
    return schemas.TargetResponse(
        id=description.id,
        name=description.name,
        fields=[_target_field(f) for f in description.fields],
        modes=[_mode(m) for m in description.modes],
        properties=schemas.DestinationProperties(
            mappings_not_required=props.mappings_not_required,
            supports_field_creation=props.supports_field_creation,
            supports_field_type_selection=props.supports_field_type_selection,
            supports_identity_field_creation=props.supports_identity_field_creation,
            supports_multiple_identities=props.supports_multiple_identities,
            supports_target_filters=props.supports_target_filters,
            supports_filter_value_fields=props.supports_filter_value_fields,
            target_creator=props.target_creator,
            new_target_label=props.new_target_label,
            primary_metadata_object=props.primary_metadata_object,
        ),
        # Targets are described live from the system on every call, never from a cache.
        refreshed_at=timestamp(datetime.now(UTC)),
    )


@router.get("/source", dependencies=[allow(READ)])
def get_source(
    connection_id: str, request: Request, discovery: Discovery
) -> Envelope[schemas.SourceMeta]:
    """The configuration choices of a model on this connection, refined by `params`
    (in either SDK's encoding)."""
    description = discovery.describe_source(connection_id, map_param(request, "params"))
    return Envelope(data=source_meta_out(description))


@router.get("/source/fields", dependencies=[allow(READ)])
def get_source_fields(
    connection_id: str, request: Request, discovery: Discovery
) -> Envelope[list[schemas.ModelField]]:
    """The typed fields of the source configuration given as `params` (either SDK's encoding)."""
    fields = discovery.source_fields(connection_id, map_param(request, "params"))
    return Envelope(
        data=[
            schemas.ModelField(
                id=f.name,
                name=f.name,
                label=f.name,
                type=f.type.value,
                remote_type=f.remote_type,
                description=f.description,
                unique=f.unique,
            )
            for f in fields
        ]
    )


@router.get("/enrichment-source", dependencies=[allow(READ)])
def get_enrichment_source(connection_id: str, discovery: Discovery) -> Envelope[schemas.SourceMeta]:
    """Enrichment is not offered by any connector type yet: always 404 for a known connection."""
    connector = discovery.connections.connector(connection_id)
    raise NotFound(f"connection type {connector.type_id!r} cannot enrich models")


@router.get("/targetobjects", dependencies=[allow(READ)])
def list_target_objects(
    connection_id: str, discovery: Discovery, include_target_creation_values: bool = False
) -> schemas.TargetObjectsEnvelope:
    """Every object a sync can write to on this connection, and how to create a new one."""
    catalog = discovery.target_catalog(connection_id, include_values=include_target_creation_values)
    return schemas.TargetObjectsEnvelope(
        data=[
            schemas.TargetObject(id=o.id, name=o.name, modes=[_supported_mode(m) for m in o.modes])
            for o in catalog.objects
        ],
        target_creation=schemas.TargetCreator(
            supported=catalog.creation.supported,
            properties=[
                schemas.TargetPropertyValues(
                    id=prop.id,
                    title=prop.title,
                    enum=prop.enum,
                    values=None
                    if values is None
                    else [schemas.EnumValue(value=c.value, label=c.label) for c in values],
                )
                for prop, values in catalog.creation.properties
            ],
        ),
    )


@router.get("/target", deprecated=True, dependencies=[allow(READ)])
def get_target_meta(
    connection_id: str,
    discovery: Discovery,
    kind: Annotated[str | None, Query(alias="type")] = None,
    search: str | None = None,
) -> Envelope[schemas.SourceMeta]:
    """The target objects as one choice item, `object` (use `/targetobjects` instead).

    `type` keeps the objects of one schema (ids `<type>.<name>`); `search`
    keeps those whose id or name contains it.
    """
    choices = discovery.target_choices(connection_id, kind=kind, search=search)
    return Envelope(data=source_meta_out(choices))


@router.get("/target/fields", dependencies=[allow(READ)])
def get_target_fields(
    connection_id: str,
    request: Request,
    discovery: Discovery,
    target: str | None = None,
    refresh: bool = False,
) -> Envelope[schemas.TargetResponse]:
    """One target object's fields and modes, or those of a target to be created."""
    del refresh  # descriptions are always read live, so there is no cache to refresh
    description = discovery.target_fields(
        connection_id, object_id=target, properties=map_param(request, "properties")
    )
    return Envelope(data=target_out(description))


@router.get("/targetobjects/properties/{property_id}", dependencies=[allow(READ)])
def get_creation_property(
    connection_id: str, property_id: str, discovery: Discovery
) -> Envelope[schemas.TargetPropertyValues]:
    """The valid values of one target-creation property."""
    prop, values = discovery.creation_property(connection_id, property_id)
    return Envelope(
        data=schemas.TargetPropertyValues(
            id=prop.id,
            title=prop.title,
            enum=prop.enum,
            values=[schemas.EnumValue(value=c.value, label=c.label) for c in values],
        )
    )
