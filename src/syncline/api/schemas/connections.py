"""Connection and connection-type shapes (spec section 7)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from syncline.api.schemas.common import Actor, Request


class ConnectionCapabilities(BaseModel):
    """`ConnectionType.capabilities`: every flag is required by the SDK."""

    source: bool
    destination: bool
    enrichment: bool
    orchestration: bool
    logging: bool


class ConfigurationForm(BaseModel):
    """The form a client renders to configure a connection."""

    jsonschema: dict[str, Any]
    uischema: dict[str, Any] = {}


class ConnectionType(BaseModel):
    """One connector type. Note the camelCase keys, as Polytomic sends them."""

    id: str
    name: str
    logo_url: str = ""
    logo_dark_url: str = ""
    use_oauth: bool = False
    capabilities: ConnectionCapabilities
    configurationForm: ConfigurationForm  # noqa: N815
    envConfig: dict[str, Any] = {}  # noqa: N815
    initialConfiguration: dict[str, Any] = {}  # noqa: N815
    oauth_prompt: dict[str, Any] | None = None


class ConnectionTypeRef(BaseModel):
    """The type of a connection as embedded in it."""

    id: str
    name: str
    logo_url: str = ""
    logo_dark_url: str = ""
    operations: list[str] = []


class Connection(BaseModel):
    """A connection, secrets masked."""

    id: str
    name: str
    organization_id: str
    type: ConnectionTypeRef
    configuration: dict[str, Any]
    status: str
    status_error: str = ""
    saved: bool = True
    policies: list[str] = []
    parent_connection_id: str | None = None
    api_calls_last_24_hours: int = 0
    rate_limit: dict[str, Any] | None = None
    healthcheck_interval: str = ""
    created_at: str
    created_by: Actor | None = None
    updated_at: str
    updated_by: Actor | None = None


class ConnectionCreated(BaseModel):
    """Response of create and update (`CreateConnectionResponseSchema`)."""

    id: str
    name: str
    organization_id: str
    type: ConnectionTypeRef
    configuration: dict[str, Any]
    status: str
    status_error: str = ""
    saved: bool = True
    policies: list[str] = []
    healthcheck_interval: str = ""
    auth_url: str | None = None
    auth_code: str | None = None


class ConnectionCreate(Request):
    """Body of `POST /api/connections`."""

    name: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1)
    configuration: dict[str, Any]
    healthcheck_interval: str | None = None
    organization_id: str | None = None
    policies: list[str] | None = None
    redirect_url: str | None = None
    validate_: bool | None = Field(default=None, alias="validate")


class ConnectionUpdate(Request):
    """Body of `PUT /api/connections/{id}` (a full replacement)."""

    name: str = Field(min_length=1, max_length=255)
    configuration: dict[str, Any]
    type: str | None = None
    healthcheck_interval: str | None = None
    organization_id: str | None = None
    policies: list[str] | None = None
    reconnect: bool | None = None
    validate_: bool | None = Field(default=None, alias="validate")


class ConnectionTest(Request):
    """Body of `POST /api/connections/test`."""

    type: str = ""
    configuration: dict[str, Any]
    connection_id: str | None = None


class ConnectionTestResult(BaseModel):
    """Answer of a successful test."""

    status: str = "healthy"
    message: str


class ParameterValue(BaseModel):
    """One value of a parameter."""

    label: str
    value: Any
    path: str | None = None


class ParameterValues(BaseModel):
    """The values of one parameter (`ConnectionParameterValuesResp`)."""

    allows_creation: bool = False
    values: list[ParameterValue]


class TypeParameterValuesRequest(Request):
    """Body of `POST /api/connection_types/{type}/parameter_values`."""

    field: str = Field(min_length=1)
    connection_id: str | None = None
    parameters: dict[str, Any] | None = None
    query: str | None = None
