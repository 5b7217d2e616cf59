"""The error statuses the official SDKs declare for each call, and how answers keep to them.

Both SDKs turn a status into its typed error (`BadRequestError`, ...) only on
the calls that declare it; any other status raises their bare base error (and
a 409 is retried). So where Syncline would answer 404, 409 or 422 on a call
whose SDKs do not declare that status, it answers the status they declare
for bad input instead: 400 if every SDK with the call declares it, else 422
if they all do, else whichever of the two one of them declares; with none
declared, the status stays (and so it does where `KEPT` says). The envelope (`key`, `message`,
`metadata.path`) is unchanged. Other statuses (401, 403, ...) are never
changed: they mean something no other status says. Nor is the 404 of a
Syncline object that is missing or another organization's (`NotFound`, which
`api.errors` keeps): tenancy answers alike on every call. What gives way is
the 404 of an object in a connected system (a table, a file).

`DECLARED` lists, per route, the 4xx statuses other than 401 that each SDK
declares: the Python SDK `polytomic` 25.9.10 (its raw clients) and the
TypeScript SDK, npm `polytomic` 1.18.1 (its endpoint clients); None where the
SDK lacks the call. Tests compare it with both SDKs as installed.
"""

from __future__ import annotations

from typing import NamedTuple

from fastapi import Request


class Declared(NamedTuple):
    """The statuses each SDK declares for one call."""

    python: frozenset[int] | None
    typescript: frozenset[int] | None


def _both(*statuses: int) -> Declared:
    return Declared(frozenset(statuses), frozenset(statuses))


def _each(python: tuple[int, ...] | None, typescript: tuple[int, ...] | None) -> Declared:
    return Declared(
        None if python is None else frozenset(python),
        None if typescript is None else frozenset(typescript),
    )


_CONNECTION = "/api/connections/{connection_id}"
_MODELSYNC = f"{_CONNECTION}/modelsync"
_SYNC = "/api/syncs/{sync_id}"
_EXECUTION = f"{_SYNC}/executions/{{execution_id}}"

DECLARED: dict[tuple[str, str], Declared] = {
    ("GET", "/api/me"): _each((403,), ()),
    ("GET", "/api/organization"): _each((403, 404), None),
    ("GET", "/api/organizations"): _both(),
    ("POST", "/api/organizations"): _both(409, 422),
    ("GET", "/api/organizations/{org_id}"): _both(403, 404),
    ("POST", "/api/organizations/{org_id}/users"): _both(403, 422),
    ("POST", "/api/organizations/{org_id}/users/{user_id}/keys"): _both(403, 404),
    ("GET", "/api/connection_types"): _both(),
    ("GET", "/api/connection_types/{type_id}"): _both(404),
    ("POST", "/api/connection_types/{type_id}/parameter_values"): _both(400, 404),
    ("GET", "/api/connections"): _both(),
    ("POST", "/api/connections"): _both(400, 403, 422),
    ("POST", "/api/connections/test"): _both(400, 404),
    ("GET", _CONNECTION): _both(404),
    ("PUT", _CONNECTION): _each((400, 403, 404, 409, 422), (400, 403, 404, 422)),
    ("DELETE", _CONNECTION): _each((403, 404, 409, 422), (403, 404, 422)),
    ("GET", f"{_CONNECTION}/parameter_values"): _both(404),
    ("GET", f"{_MODELSYNC}/source"): _both(400, 403, 404),
    ("GET", f"{_MODELSYNC}/source/fields"): _both(400, 403, 404),
    ("GET", f"{_MODELSYNC}/enrichment-source"): _both(400, 403, 404),
    ("GET", f"{_MODELSYNC}/target"): _each(None, (400, 403, 404)),
    ("GET", f"{_MODELSYNC}/target/fields"): _each((400, 403, 404), (403, 404)),
    ("GET", f"{_MODELSYNC}/targetobjects"): _both(400, 403, 404),
    ("GET", f"{_MODELSYNC}/targetobjects/properties/{{property_id}}"): _both(400, 403, 404),
    ("GET", "/api/models"): _both(404),
    ("POST", "/api/models"): _both(400, 403),
    ("POST", "/api/model-preview"): _both(400, 404),
    ("GET", "/api/models/{model_id}"): _both(404),
    ("PUT", "/api/models/{model_id}"): _both(400, 404),
    ("DELETE", "/api/models/{model_id}"): _both(403, 404),
    ("GET", "/api/models/{model_id}/sample"): _both(400, 404),
    ("GET", "/api/jobs/{job_type}/{job_id}"): _both(400, 404),
    ("GET", "/api/syncs"): _both(400, 404),
    ("POST", "/api/syncs"): _each((400, 403, 404, 422), (400, 403, 422)),
    ("GET", "/api/syncs/schedules"): _both(),
    ("GET", _SYNC): _both(404),
    ("PUT", _SYNC): _both(400, 403, 404, 422),
    ("DELETE", _SYNC): _both(403, 404, 409),
    ("POST", f"{_SYNC}/activate"): _each((403, 404, 422), (403, 404)),
    ("POST", f"{_SYNC}/cancel"): _both(403, 404),
    ("POST", f"{_SYNC}/executions"): _both(400, 403, 404, 409),
    ("GET", f"{_SYNC}/status"): _both(404),
    ("GET", f"{_SYNC}/error-handling"): _each((403, 404), None),
    ("PUT", f"{_SYNC}/error-handling"): _each((400, 403, 404), None),
    ("GET", f"{_SYNC}/executions"): _both(404),
    ("GET", _EXECUTION): _both(404),
    ("PUT", _EXECUTION): _each(None, (400, 403, 404)),
    ("POST", f"{_EXECUTION}/cancel"): _each((400, 403, 404), None),
    ("GET", f"{_EXECUTION}/consolelog"): _each((400, 404, 408), None),
    ("GET", f"{_EXECUTION}/logs"): _each((404,), None),
    ("GET", f"{_EXECUTION}/{{log_type}}"): _both(400, 404),
    ("GET", f"{_EXECUTION}/{{log_type}}/{{filename}}"): _both(400, 404),
}

KEPT: dict[tuple[str, str], frozenset[int]] = {
    ("POST", "/api/connections/test"): frozenset({422}),
    ("POST", "/api/connection_types/{type_id}/parameter_values"): frozenset({422}),
}
"""Statuses kept on a call though its SDKs do not declare them. A connection
configuration that is refused (a local path outside the roots, a stored secret
that must be sent again for a new host) answers 422 on every call that takes
one, as on create and update: issue 12 (items 1 and 2) says so."""

_BENT = (404, 409, 422)
"""The statuses that give way to a declared one."""

_BAD_INPUT = (400, 422)
"""What they give way to, in order of preference."""


def declared_status(method: str, path: str, status: int) -> int:
    """The status to answer on the call `method path` instead of `status` (see above)."""
    declared = DECLARED.get((method, path))
    if declared is None or status not in _BENT or status in KEPT.get((method, path), ()):
        return status
    sets = [found for found in declared if found is not None]
    if all(status in found for found in sets):
        return status
    for candidate in _BAD_INPUT:
        if all(candidate in found for found in sets):
            return candidate
    for candidate in _BAD_INPUT:
        if any(candidate in found for found in sets):
            return candidate
    return status


def status_for(request: Request, status: int) -> int:
    """`declared_status` for the route that `request` reached (unchanged off the table)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return status
    return declared_status(request.method, path, status)
