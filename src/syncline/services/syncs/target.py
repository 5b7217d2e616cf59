"""Resolving a sync's target: the connection, and the object or the one to create."""

from __future__ import annotations

from syncline.connectors.base import TargetConnector, TargetDescription
from syncline.errors import NotFound, ObjectNotFound, ValidationFailed
from syncline.services.connections import ConnectionService
from syncline.services.syncs.config import SyncTarget
from syncline.services.syncs.names import check_object_name


def resolve_target(
    connections: ConnectionService, target: SyncTarget
) -> tuple[TargetDescription, bool]:
    """The description of a sync's target object, and whether it exists already.

    Raises `ValidationFailed` with a `target.*` path when the connection is
    missing or cannot be a destination, when the object does not exist, or
    when a new object cannot be created as asked.
    """
    try:
        connector = connections.connector(target.connection_id)
    except NotFound:
        raise ValidationFailed(
            f"target.connection_id: connection {target.connection_id} not found",
            path="target.connection_id",
        ) from None
    if not isinstance(connector, TargetConnector) or not connector.capabilities.destination:
        raise ValidationFailed(
            f"target.connection_id: a {connector.type_id} connection cannot be a sync target",
            path="target.connection_id",
        )
    if target.object:
        try:
            return connector.describe_target(target.object), True
        except ObjectNotFound as exc:
            if target.create or target.new_name:
                # A stored sync names the object it will create on its first run.
                return _new_target(connector, target), False
            raise ValidationFailed(
                f"target.object: {exc.message}; pick one from "
                "/modelsync/targetobjects, or give target.create to make a new one",
                path="target.object",
            ) from None
    return _new_target(connector, target), False


def _new_target(connector: TargetConnector, target: SyncTarget) -> TargetDescription:
    if not target.create and not target.new_name:
        raise ValidationFailed(
            "target.object: name the target object, or describe a new one with target.create",
            path="target.object",
        )
    if not connector.target_capabilities.target_creator:
        raise ValidationFailed(
            f"target.create: {connector.type_id} connections cannot create target objects",
            path="target.create",
        )
    properties = dict(target.create or {})
    if target.new_name:
        properties["name"] = target.new_name
    try:
        description = connector.describe_new_target(properties)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message.replace("properties.", "target.create."),
            path=_creation_path(exc.path, target),
        ) from None
    name = properties.get("name")
    if isinstance(name, str):
        check_object_name(name, description, _creation_path("properties.name", target))
    return description


def _creation_path(path: str | None, target: SyncTarget) -> str:
    """Where a creation property came from in the request."""
    name = (path or "").removeprefix("properties.")
    if name == "name" and target.new_name:
        return "target.new_name"
    return f"target.create.{name}" if name else "target.create"
