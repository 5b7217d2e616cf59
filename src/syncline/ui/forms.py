"""What a page does with a refused form: the server's messages, by field.

A service refuses bad input with `ValidationFailed`, whose `metadata.path`
(and `metadata.errors`, for several) names the JSON path of each bad value,
as the API's 422 answers do. A page re-renders its form with status 422 and
shows each message next to the control for that path (`macros.html`).
"""

from __future__ import annotations

from typing import Any

from syncline.errors import ValidationFailed


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    """Messages keyed by JSON path (`""`: not tied to one field); the first one per path."""
    found: dict[str, str] = {}
    details: Any = exc.metadata.get("errors")
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict):
                where = str(detail.get("path") or "")
                found.setdefault(where, str(detail.get("message") or exc.message))
    path = exc.metadata.get("path")
    key = path if isinstance(path, str) else ""
    if key not in found:
        # The message of a single-path error may start with its path; show it plainly.
        message: str = exc.message
        if key and message.startswith(f"{key}: "):
            message = message[len(key) + 2 :]
        found[key] = message
    return found


def error_for(errors: dict[str, str], *paths: str) -> str:
    """The message for the first of `paths` (or any path below one) that has one."""
    for path in paths:
        if path in errors:
            return errors[path]
        for key, message in errors.items():
            if key.startswith((f"{path}.", f"{path}[")):
                return message
    return ""
