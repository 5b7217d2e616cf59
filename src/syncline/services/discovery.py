"""Model-sync discovery: what a connection offers as a source and as a target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncline.connectors.base import (
    Choice,
    CreationProperty,
    Field,
    SourceConnector,
    SourceDescription,
    SourceItem,
    TargetCapabilities,
    TargetConnector,
    TargetDescription,
    TargetObject,
)
from syncline.errors import BadRequest, NotFound
from syncline.services.connections import ConnectionService


@dataclass(frozen=True)
class TargetCreation:
    """Whether and how a connection creates new target objects."""

    supported: bool
    properties: list[tuple[CreationProperty, list[Choice] | None]]


@dataclass(frozen=True)
class TargetCatalog:
    """The target objects of a connection and how to create new ones."""

    objects: list[TargetObject]
    creation: TargetCreation
    capabilities: TargetCapabilities


class DiscoveryService:
    """Describes sources and targets of the caller's connections."""

    def __init__(self, connections: ConnectionService) -> None:
        self.connections = connections

    def source(self, connection_id: str) -> SourceConnector:
        """The source side of a connection. Raises `BadRequest` if it cannot be a source."""
        connector = self.connections.connector(connection_id)
        if not isinstance(connector, SourceConnector) or not connector.capabilities.source:
            raise BadRequest(f"connection type {connector.type_id!r} cannot be a model source")
        return connector

    def target(self, connection_id: str) -> TargetConnector:
        """The target side of a connection. Raises `BadRequest` if it cannot be a target."""
        connector = self.connections.connector(connection_id)
        if not isinstance(connector, TargetConnector) or not connector.capabilities.destination:
            raise BadRequest(f"connection type {connector.type_id!r} cannot be a sync target")
        return connector

    def describe_source(
        self, connection_id: str, params: Mapping[str, Sequence[str]]
    ) -> SourceDescription:
        """The configuration choices of a source, refined by `params`."""
        return self.source(connection_id).describe_source(params)

    def source_fields(self, connection_id: str, params: Mapping[str, Sequence[str]]) -> list[Field]:
        """The fields of one complete source configuration given as `params`."""
        if not params:
            raise BadRequest(
                "params: give a complete source configuration, "
                "for example params[table]=public.users or params[query]=SELECT ..."
            )
        configuration = {key: values[-1] for key, values in params.items() if values}
        return self.source(connection_id).source_fields(configuration)

    def target_catalog(self, connection_id: str, *, include_values: bool) -> TargetCatalog:
        """Every target object, plus the inputs for creating a new one."""
        target = self.target(connection_id)
        properties = target.creation_properties()
        listed = [
            (
                prop,
                target.creation_property_values(prop.id) if include_values and prop.enum else None,
            )
            for prop in properties
        ]
        return TargetCatalog(
            objects=target.target_objects(),
            creation=TargetCreation(supported=bool(properties), properties=listed),
            capabilities=target.target_capabilities,
        )

    def target_choices(
        self, connection_id: str, *, kind: str | None, search: str | None
    ) -> SourceDescription:
        """The target objects as the choices of one item, `object` (the deprecated
        `GET .../modelsync/target`, whose answer has the shape of a source's).

        `kind` keeps the objects whose id starts with `<kind>.` (for SQL
        targets, the tables of one schema); `search` keeps those whose id or
        name contains it, ignoring case.
        """
        objects = self.target(connection_id).target_objects()
        if kind:
            objects = [o for o in objects if o.id.startswith(f"{kind}.")]
        if search:
            needle = search.casefold()
            objects = [o for o in objects if needle in f"{o.id}\n{o.name}".casefold()]
        return SourceDescription(
            items={"object": SourceItem(choices=[Choice(o.id, o.name) for o in objects])},
            requires_one_of=["object"],
            configuration={},
        )

    def target_fields(
        self,
        connection_id: str,
        *,
        object_id: str | None,
        properties: Mapping[str, Sequence[str]],
    ) -> TargetDescription:
        """One target object, or the object that `properties` would create.

        Exactly one of `object_id` and `properties` must be given.
        """
        if bool(object_id) == bool(properties):
            raise BadRequest(
                "give exactly one of 'target' (an existing object id) or "
                "'properties[...]' (inputs for a new target)"
            )
        target = self.target(connection_id)
        if object_id:
            return target.describe_target(object_id)
        return target.describe_new_target({k: v[-1] for k, v in properties.items() if v})

    def creation_property(
        self, connection_id: str, property_id: str
    ) -> tuple[CreationProperty, list[Choice]]:
        """One creation property of a connection and its valid values."""
        target = self.target(connection_id)
        for prop in target.creation_properties():
            if prop.id == property_id:
                values = target.creation_property_values(prop.id) if prop.enum else []
                return prop, values
        raise NotFound(
            f"connection type {target.type_id!r} has no target creation property {property_id!r}"
        )
