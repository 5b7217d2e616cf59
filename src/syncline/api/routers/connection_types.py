"""`/api/connection_types`: the connector types and their configuration schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from syncline.api.access import allow
from syncline.api.deps import Connections
from syncline.api.routers.connections import parameter_values_out
from syncline.api.schemas import connections as schemas
from syncline.api.schemas.common import Envelope
from syncline.connectors.base import Connector
from syncline.connectors.registry import connector_class, connector_classes
from syncline.services.roles import READ, Role, at_least

router = APIRouter(prefix="/api/connection_types", tags=["connections"])


# The SDK parses schemas into a model where `additionalProperties` must be a
# schema object and numeric bounds must be strings; those keys are left out of
# what is served (the server still enforces them when validating).
_NUMERIC_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _sdk_compatible(node: Any) -> Any:
    if isinstance(node, list):
        return [_sdk_compatible(item) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned = {}
    for key, value in node.items():
        if key == "additionalProperties" and isinstance(value, bool):
            continue
        if key in _NUMERIC_BOUNDS and isinstance(value, int | float):
            continue
        cleaned[key] = _sdk_compatible(value)
    return cleaned


def configuration_schema(cls: type[Connector]) -> dict[str, Any]:
    """The JSON schema of a type's configuration, in a form the official SDK parses."""
    schema: dict[str, Any] = _sdk_compatible(cls.config_model.model_json_schema())
    schema["title"] = cls.name
    return schema


def _initial_configuration(cls: type[Connector]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, info in cls.config_model.model_fields.items():
        if not info.is_required() and name not in cls.config_model.secret_fields():
            defaults[name] = info.get_default(call_default_factory=True)
    return defaults


def connection_type_out(cls: type[Connector]) -> schemas.ConnectionType:
    """A connector class as `ConnectionType`."""
    caps = cls.capabilities
    return schemas.ConnectionType(
        id=cls.type_id,
        name=cls.name,
        capabilities=schemas.ConnectionCapabilities(
            source=caps.source,
            destination=caps.destination,
            enrichment=caps.enrichment,
            orchestration=caps.orchestration,
            logging=caps.logging,
        ),
        configurationForm=schemas.ConfigurationForm(jsonschema=configuration_schema(cls)),
        initialConfiguration=_initial_configuration(cls),
    )


@router.get("", dependencies=[allow(READ)])
def list_types() -> Envelope[list[schemas.ConnectionType]]:
    """Every connector type."""
    return Envelope(data=[connection_type_out(cls) for cls in connector_classes()])


@router.get("/{type_id}", dependencies=[allow(READ)])
def type_schema(type_id: str) -> dict[str, Any]:
    """The bare JSON schema of a type's configuration (no envelope, as Polytomic serves it)."""
    return configuration_schema(connector_class(type_id))


SUGGEST_VALUES = at_least(
    Role.USER,
    "Saves nothing, but serves the editing of a connection, which viewers cannot do, and it "
    "connects with a configuration taken from the body (with `connection_id`, merged over the "
    "stored secret). Viewers list a saved connection's values with "
    "GET /api/connections/{id}/parameter_values.",
)


@router.post("/{type_id}/parameter_values", dependencies=[allow(SUGGEST_VALUES)])
def type_parameter_values(
    type_id: str, body: schemas.TypeParameterValuesRequest, connections: Connections
) -> Envelope[dict[str, schemas.ParameterValues]]:
    """The values of one configuration parameter, for a configuration being edited."""
    values = connections.type_parameter_values(
        type_id,
        body.field,
        connection_id=body.connection_id,
        parameters=body.parameters or {},
        query=body.query,
    )
    return Envelope(data=parameter_values_out(values))
