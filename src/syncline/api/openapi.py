"""The OpenAPI document, true to what the server answers.

FastAPI documents each operation's success and a 422 in its own
`HTTPValidationError` shape. Syncline answers every error in Polytomic's
envelope (`ApiError` here), and from more places than the route: the request
guard (401 before the body, 413, 408), the version check (400), the
idempotency layer (400, 409) and the services. This module rewrites the
document in one place:

- every error status an operation can answer is listed, each with the
  `ApiError` schema; the statuses follow from the route's shape (method,
  parameters, body, dependencies) plus the few a service adds (`_SERVICE`);
- Bearer and Basic are `components.securitySchemes`, and each operation that
  needs credentials declares them (the download link is its own credential);
- the `authorization` header parameter, which security now describes, goes.

`tests/api/test_openapi.py` sweeps every route with bad input and fails on
any status the document does not list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from syncline.api.access import rules_of
from syncline.api.deps import current_principal
from syncline.api.route_table import Operation, operations
from syncline.api.routers import (
    connection_types,
    connections,
    executions,
    identity,
    jobs,
    models,
    modelsync,
    syncs,
)
from syncline.api.sdk_statuses import declared_status
from syncline.services.roles import ROLES, Gate

ERROR_SCHEMA = "ApiError"
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A user's API key: `Authorization: Bearer <API key>`.",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "The deployment key (`SYNCLINE_DEPLOYMENT_KEY`) acting inside one "
        "organization: `Authorization: Basic base64(<organization_id>:<deployment key>)`.",
    },
}
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"basic": []}]
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
_LIMIT = "`SYNCLINE_MAX_BODY_MB`"
_ANNOTATIONS = frozenset({"title", "description", "default", "examples"})


class ApiError(BaseModel):
    """Every error answer: Polytomic's error envelope."""

    status: int = Field(description="The HTTP status, repeated.")
    message: str = Field(description="What is wrong, and what to change.")
    key: str = Field(description="A machine-readable error key, e.g. `not_found`.")
    metadata: dict[str, Any] = Field(
        description="Details. Validation errors carry `path` (the JSON path of the "
        "offending value) and `errors` (each offending path with its message)."
    )


Reasons = dict[int, list[str]]
Endpoint = Callable[..., Any]

_SOURCE_REFUSED = "the connector or the system behind it refused (`message` has its reason)"
_MISSING_OBJECT = "a table, file or other object named does not exist in the system"
_UNKNOWN_REFERENCE = "an id in the body names no object of the caller's organization"

# What the services answer beyond the reasons the route's shape implies.
_SERVICE: dict[Endpoint, Reasons] = {
    identity.create_user: {422: ["a user with this e-mail exists in the organization"]},
    connection_types.type_parameter_values: {400: [_SOURCE_REFUSED]},
    connections.create_connection: {400: ["the connection check failed (see `validate`)"]},
    connections.update_connection: {400: ["the connection check failed (see `validate`)"]},
    connections.test_connection: {
        400: ["the connection check failed"],
        404: ["`connection_id` names no connection of the caller's organization"],
    },
    connections.delete_connection: {422: ["models or syncs use the connection (see `force`)"]},
    connections.parameter_values: {400: [_SOURCE_REFUSED]},
    modelsync.get_source: {400: [_SOURCE_REFUSED, "the connection cannot be a model source"]},
    modelsync.get_source_fields: {400: [_SOURCE_REFUSED], 404: [_MISSING_OBJECT]},
    modelsync.get_enrichment_source: {404: ["the connection type cannot enrich models"]},
    modelsync.list_target_objects: {400: [_SOURCE_REFUSED, "the connection cannot be a target"]},
    modelsync.get_target_fields: {400: [_SOURCE_REFUSED], 404: [_MISSING_OBJECT]},
    modelsync.get_creation_property: {400: [_SOURCE_REFUSED]},
    models.create_model: {400: [_SOURCE_REFUSED, _MISSING_OBJECT], 404: [_UNKNOWN_REFERENCE]},
    models.update_model: {400: [_SOURCE_REFUSED], 404: [_UNKNOWN_REFERENCE, _MISSING_OBJECT]},
    models.preview_model: {400: [_SOURCE_REFUSED], 404: [_UNKNOWN_REFERENCE, _MISSING_OBJECT]},
    models.sample_model: {400: [_SOURCE_REFUSED], 404: [_MISSING_OBJECT]},
    models.delete_model: {409: ["a sync reads the model"]},
    jobs.get_job: {400: ["unknown job type"]},
    syncs.list_syncs: {400: ["`page_token` is not one this server issued, or expired"]},
    syncs.create_sync: {404: [_UNKNOWN_REFERENCE]},
    syncs.update_sync: {404: [_UNKNOWN_REFERENCE]},
    executions.start_execution: {
        400: ["the sync is not active, or `identities` without `test`"],
        409: ["the sync is already running"],
    },
    executions.console_log: {400: ["`after` is not a cursor this server issued"]},
    executions.log_urls: {400: ["unknown record log type"]},
    executions.log_file: {400: ["unknown record log type"]},
}

# Success answers that are not FastAPI's default JSON 200.
_SUCCESS: dict[Endpoint, dict[str, Any]] = {
    executions.log_file: {
        "302": {
            "description": "Redirect to the signed download link of the file.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    },
    executions.download: {
        "200": {
            "description": "The record log as JSON Lines.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` (and `/openapi.json`) return the document built here."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with Syncline's errors and security."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = ApiError.model_json_schema()
    components["securitySchemes"] = SECURITY_SCHEMES
    for operation in operations(app):
        if not operation.include_in_schema:
            continue
        for method in operation.methods:
            entry = doc["paths"][operation.path][method.lower()]
            _rewrite(entry, operation, method)
    for name in _FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return doc


def needs_credentials(operation: Operation, method: str) -> bool:
    """Whether the operation answers 401 without credentials (the guard checks every write)."""
    return operation.depends_on(current_principal) or method in _WRITES


def error_statuses(operation: Operation, method: str, entry: dict[str, Any]) -> Reasons:
    """Each error status the operation can answer, with the reasons for it."""
    reasons: Reasons = {}

    def add(status: int, reason: str) -> None:
        reasons.setdefault(status, []).append(reason)

    parameters = _parameters(entry)
    add(400, "unsupported `X-Polytomic-Version`")
    add(413, f"a `Content-Length` above the limit ({_LIMIT})")
    if needs_credentials(operation, method):
        add(401, "missing or invalid credentials")
    for rule in rules_of(operation):
        if rule.gate is Gate.DEPLOYMENT_KEY:
            add(403, "the operation needs the deployment key (Basic)")
        elif rule.lowest is not None and rule.lowest is not ROLES[0]:
            add(403, f"the caller's role is below {rule.lowest.value}")
    if any(p["in"] == "path" for p in parameters):
        add(404, "no such object in the caller's organization")
    # Where the SDKs declare no 422 for the call, validation answers what they declare.
    invalid = declared_status(method, operation.path, 422)
    if any(not _is_text(p["schema"]) for p in parameters):
        add(invalid, "a path or query parameter is invalid")
    if method in _WRITES:
        add(400, "a malformed `Idempotency-Key`")
        add(408, "the body stalled (`SYNCLINE_BODY_TIMEOUT`)")
        add(409, "a repeat of an `Idempotency-Key` whose first request still runs")
        add(413, f"a body above the limit ({_LIMIT})")
    if "requestBody" in entry:
        add(400, "a malformed JSON body")
        add(invalid, "the body is invalid (`metadata.path` names the value)")
    for status, more in _SERVICE.get(operation.endpoint, {}).items():
        for reason in more:
            add(status, reason)
    return reasons


def _parameters(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The documented parameters but `Authorization`, which the security schemes describe."""
    return [p for p in entry.get("parameters", []) if p["name"].lower() != "authorization"]


def _is_text(schema: dict[str, Any]) -> bool:
    """Whether any value fits the parameter: a string without constraints, optional or not."""
    kinds = schema.get("anyOf", [schema])
    return all(
        k.get("type") in ("string", "null") and set(k) <= _ANNOTATIONS | {"type"} for k in kinds
    ) and set(schema) - {"anyOf"} <= _ANNOTATIONS | {"type"}


def _rewrite(entry: dict[str, Any], operation: Operation, method: str) -> None:
    reasons = error_statuses(operation, method, entry)
    parameters = _parameters(entry)
    if parameters:
        entry["parameters"] = parameters
    else:
        entry.pop("parameters", None)
    if needs_credentials(operation, method):
        entry["security"] = _SECURITY
    for rule in rules_of(operation):
        entry["description"] = (
            entry.get("description", "") + f"\n\nAccess: {rule.label}. {rule.why}"
        ).strip()
    responses = _SUCCESS.get(operation.endpoint) or {
        code: answer
        for code, answer in entry.get("responses", {}).items()
        if code.isdigit() and int(code) < 400
    }
    entry["responses"] = dict(responses)
    for status in sorted(reasons):
        entry["responses"][str(status)] = {
            "description": "; ".join(dict.fromkeys(reasons[status])),
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
            },
        }
