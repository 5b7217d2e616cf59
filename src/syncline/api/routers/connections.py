"""`/api/connections`: create, read, update, delete, test and list parameter values.

`/api/connections/test` is declared before `/api/connections/{id}` so the
literal path wins.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from syncline.api.access import allow
from syncline.api.deps import Connections
from syncline.api.schemas import connections as schemas
from syncline.api.schemas.common import Envelope, actor, timestamp
from syncline.connectors.base import ParameterValues
from syncline.connectors.registry import connector_class
from syncline.services.connections import ConnectionInput, ConnectionService, SavedConnection
from syncline.services.roles import READ, WRITE, Role, at_least
from syncline.store.tables import Connection

router = APIRouter(prefix="/api/connections", tags=["connections"])


def _type_ref(type_id: str) -> schemas.ConnectionTypeRef:
    cls = connector_class(type_id)
    operations = [
        op
        for op, ok in (
            ("source", cls.capabilities.source),
            ("destination", cls.capabilities.destination),
        )
        if ok
    ]
    return schemas.ConnectionTypeRef(id=cls.type_id, name=cls.name, operations=operations)


def connection_out(
    service: ConnectionService, row: Connection, configuration: dict[str, Any] | None = None
) -> schemas.Connection:
    """A stored connection as `Connection`, secrets masked (or its `configuration` as the
    service showed it when saving it)."""
    return schemas.Connection(
        id=row.id,
        name=row.name,
        organization_id=row.organization_id,
        type=_type_ref(row.type),
        configuration=service.masked_configuration(row) if configuration is None else configuration,
        status=row.status,
        status_error=row.status_error,
        policies=list(row.policies),
        healthcheck_interval=row.healthcheck_interval,
        created_at=timestamp(row.created_at),
        created_by=actor(row.created_by),
        updated_at=timestamp(row.updated_at),
        updated_by=actor(row.updated_by),
    )


def _created_out(service: ConnectionService, saved: SavedConnection) -> schemas.ConnectionCreated:
    """A connection just saved, its configuration as the service shows it to this response
    (a generated secret made by this request in full, once)."""
    full = connection_out(service, saved.connection, saved.configuration)
    return schemas.ConnectionCreated(
        id=full.id,
        name=full.name,
        organization_id=full.organization_id,
        type=full.type,
        configuration=full.configuration,
        status=full.status,
        status_error=full.status_error,
        policies=full.policies,
        healthcheck_interval=full.healthcheck_interval,
    )


def parameter_values_out(
    values: dict[str, ParameterValues],
) -> dict[str, schemas.ParameterValues]:
    """Parameter values in the wire shape."""
    return {
        name: schemas.ParameterValues(
            allows_creation=found.allows_creation,
            values=[schemas.ParameterValue(label=c.label, value=c.value) for c in found.values],
        )
        for name, found in values.items()
    }


def _input(body: schemas.ConnectionCreate | schemas.ConnectionUpdate) -> ConnectionInput:
    return ConnectionInput(
        name=body.name,
        type=body.type,
        configuration=body.configuration,
        healthcheck_interval=body.healthcheck_interval,
        policies=body.policies,
        validate=body.validate_ is not False,
    )


@router.get("", dependencies=[allow(READ)])
def list_connections(connections: Connections) -> Envelope[list[schemas.Connection]]:
    """Every connection of the caller's organization."""
    return Envelope(data=[connection_out(connections, row) for row in connections.all()])


@router.post("", dependencies=[allow(WRITE)])
def create_connection(
    body: schemas.ConnectionCreate, connections: Connections
) -> Envelope[schemas.ConnectionCreated]:
    """Create a connection; it is checked first unless `validate` is false."""
    saved = connections.create(_input(body))
    return Envelope(data=_created_out(connections, saved))


CHECK_CONFIGURATION = at_least(
    Role.USER,
    "Saves nothing, but it is the check step of writing a connection, which viewers cannot do, "
    "and it makes the server connect wherever the body says; with `connection_id` it carries "
    "the stored secret there. Viewers read a saved connection's `status` instead.",
)


@router.post("/test", dependencies=[allow(CHECK_CONFIGURATION)])
def test_connection(
    body: schemas.ConnectionTest, connections: Connections
) -> Envelope[schemas.ConnectionTestResult]:
    """Check a configuration without saving it; a failure answers 400 with the reason."""
    connections.test(body.type, body.configuration, body.connection_id)
    return Envelope(data=schemas.ConnectionTestResult(message="connection succeeded"))


@router.get("/{connection_id}", dependencies=[allow(READ)])
def get_connection(connection_id: str, connections: Connections) -> Envelope[schemas.Connection]:
    """One connection."""
    return Envelope(data=connection_out(connections, connections.get(connection_id)))


@router.put("/{connection_id}", dependencies=[allow(WRITE)])
def update_connection(
    connection_id: str, body: schemas.ConnectionUpdate, connections: Connections
) -> Envelope[schemas.ConnectionCreated]:
    """Replace a connection's name and configuration."""
    saved = connections.update(connection_id, _input(body))
    return Envelope(data=_created_out(connections, saved))


@router.delete("/{connection_id}", dependencies=[allow(WRITE)])
def delete_connection(
    connection_id: str, connections: Connections, force: bool = False
) -> Envelope[dict[str, str]]:
    """Delete a connection; 422 while models or syncs use it, unless `force`."""
    connections.delete(connection_id, force=force)
    return Envelope(data={"id": connection_id})


@router.get("/{connection_id}/parameter_values", dependencies=[allow(READ)])
def parameter_values(
    connection_id: str, connections: Connections
) -> Envelope[dict[str, schemas.ParameterValues]]:
    """The values of every listable parameter of a connection."""
    return Envelope(data=parameter_values_out(connections.parameter_values(connection_id)))
