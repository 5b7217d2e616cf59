"""The connector types Syncline knows, one line each.

Connector modules are imported when first asked for, so that a process that
never touches MySQL never imports its driver.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from syncline.connectors.base import Connector
from syncline.errors import NotFound

_TYPES: dict[str, str] = {
    "postgresql": "syncline.connectors.postgresql:PostgresqlConnector",
    "mysql": "syncline.connectors.mysql:MysqlConnector",
    "sqlite": "syncline.connectors.sqlite:SqliteConnector",
    "files": "syncline.connectors.files:FilesConnector",
    "webhook": "syncline.connectors.webhook:WebhookConnector",
    "http": "syncline.connectors.http:HttpConnector",
}


def type_ids() -> list[str]:
    """Every registered connector type id, in display order."""
    return list(_TYPES)


@cache
def connector_class(type_id: str) -> type[Connector]:
    """The connector class of a type id. Raises `NotFound` for an unknown type."""
    target = _TYPES.get(type_id)
    if target is None:
        raise NotFound(
            f"connection type {type_id!r} not found; known types: {', '.join(_TYPES)}",
            metadata={"type": type_id},
        )
    module_name, _, class_name = target.partition(":")
    cls: type[Connector] = getattr(import_module(module_name), class_name)
    return cls


def connector_classes() -> list[type[Connector]]:
    """Every registered connector class, in display order."""
    return [connector_class(type_id) for type_id in _TYPES]
