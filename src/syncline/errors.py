"""The exception tree of Syncline.

Every error a caller can cause or act on is a `SynclineError`. The API maps
each class to an HTTP status in exactly one place (`syncline.api.errors`), so
layers below the API raise these and never think about HTTP.

Messages are written for the person who has to fix the problem, and never
contain a secret: connectors scrub driver messages before raising.
"""

from __future__ import annotations

from typing import Any


class SynclineError(Exception):
    """Base of every expected error. `key` is the machine-readable error key."""

    key = "error"

    def __init__(self, message: str, *, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = metadata or {}


class NotFound(SynclineError):
    """The object does not exist, or belongs to another organization."""

    key = "not_found"


class Unauthorized(SynclineError):
    """No credential, or one that does not resolve to an organization."""

    key = "unauthorized"


class Forbidden(SynclineError):
    """The credential is valid but may not perform this operation."""

    key = "forbidden"


class BadRequest(SynclineError):
    """The request is well-formed JSON but asks for something impossible."""

    key = "bad_request"


class ValidationFailed(SynclineError):
    """A value failed validation. `path` is the JSON path of the offending value."""

    key = "validation_error"

    def __init__(
        self, message: str, *, path: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        meta = dict(metadata or {})
        if path is not None:
            meta.setdefault("path", path)
        super().__init__(message, metadata=meta)
        self.path = path


class Conflict(SynclineError):
    """The request conflicts with the current state (in use, already running)."""

    key = "conflict"


class InUse(SynclineError):
    """An object cannot be deleted because others depend on it."""

    key = "in_use"


class SettingsError(SynclineError):
    """A `SYNCLINE_*` setting cannot be used; the message is one line naming it and the fix."""

    key = "settings_error"


class ConnectorError(SynclineError):
    """A source or target system refused or failed an operation.

    The message is the system's own explanation, scrubbed of secrets.
    """

    key = "connector_error"


class ConnectionCheckFailed(ConnectorError):
    """Syncline could not connect with the given configuration."""

    key = "connection_failed"


class ObjectNotFound(ConnectorError):
    """A table, file or other object named in a request does not exist in the system."""

    key = "object_not_found"


class InvalidSourceConfiguration(ConnectorError):
    """A model's source configuration cannot be used (bad SQL, missing table key, ...)."""

    key = "invalid_source_configuration"


class CallCanceled(ConnectorError):
    """A database call was interrupted because the run it served was canceled.

    Never a fault of the records being written: whoever runs the call treats
    it as the cancel it is, not as a failure.
    """

    key = "canceled"


class CallTimedOut(ConnectorError):
    """A database call got no answer within the call timeout and was cut off.

    The message starts with "did not answer for": callers put the name of
    the side and connection before it.
    """

    key = "timed_out"


def json_path(location: tuple[str | int, ...] | list[str | int]) -> str:
    """A pydantic error location as a dotted JSON path: `fields[0].target`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_failed(
    errors: list[dict[str, Any]], *, prefix: tuple[str | int, ...] = ()
) -> ValidationFailed:
    """One `ValidationFailed` from pydantic's error list, naming the first offending path.

    Input values are never echoed, so a secret cannot leak through a message.
    """
    details = []
    for error in errors:
        path = json_path((*prefix, *error.get("loc", ())))
        details.append({"path": path, "message": _plain(error)})
    first = details[0] if details else {"path": json_path(prefix), "message": "invalid value"}
    message = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
    if len(details) > 1:
        message += f" (and {len(details) - 1} more)"
    return ValidationFailed(message, path=first["path"], metadata={"errors": details})


def _plain(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown field"
    return str(error.get("msg", "invalid value"))
