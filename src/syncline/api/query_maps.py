"""Map-valued query parameters, in both encodings the official SDKs send.

The Python SDK spells a map in brackets, one pair per value:
`params[table]=public.users&params[schema]=a&params[schema]=b`. The
TypeScript SDK sends the whole map as one JSON object:
`params={"table":["public.users"],"schema":["a","b"]}`. Both are read
into the same `{key: [values]}`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from syncline.api.deps import bracket_params
from syncline.errors import BadRequest


def map_param(request: Request, name: str) -> dict[str, list[str]]:
    """The map-valued query parameter `name`, from either encoding or both.

    In the JSON form a key maps to a list of values or to one value; values
    are strings (numbers and booleans are taken as their JSON text) and a
    null value counts as absent. The bracket form's values come first when
    a request mixes the two. Raises `BadRequest` naming the parameter when
    the JSON form is not such an object.
    """
    found = bracket_params(request, name)
    for text in request.query_params.getlist(name):
        for key, values in _json_map(name, text).items():
            found.setdefault(key, []).extend(values)
    return found


def _json_map(name: str, text: str) -> dict[str, list[str]]:
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        raise BadRequest(
            f'{name}: give a JSON object such as {name}={{"table":["public.users"]}}, '
            f"or one {name}[key]=value pair per value",
            metadata={"path": name},
        )
    parsed: dict[str, list[str]] = {}
    for key, value in decoded.items():
        items = value if isinstance(value, list) else [value]
        texts = [_text(name, key, item) for item in items if item is not None]
        if texts:
            parsed[key] = texts
    return parsed


def _text(name: str, key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise BadRequest(
        f"{name}.{key}: give a string or a list of strings", metadata={"path": f"{name}.{key}"}
    )
