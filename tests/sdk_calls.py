"""The calls the official SDKs make and the error statuses each declares, read from
the SDKs as installed (Fern-generated code in both)."""

from __future__ import annotations

import re
from pathlib import Path

import polytomic

Call = tuple[str, str]
"""A method and a path whose parameters are all `{}`."""

_IGNORED = frozenset({401})
"""Declared on (nearly) every call and never chosen by `sdk_statuses`."""


def normalized(path: str) -> str:
    """`path` with every parameter written `{}`, from either SDK's spelling or a route's."""
    path = "/" + path.lstrip("/")
    return re.sub(r"\$?\{[^}]*\}", "{}", path)


def _client_statuses(body: str, pattern: str) -> frozenset[int]:
    return frozenset(int(s) for s in re.findall(pattern, body) if 400 <= int(s) < 500) - _IGNORED


def python_sdk_calls() -> dict[Call, frozenset[int]]:
    """Every call of the installed Python SDK with the 4xx statuses it declares."""
    calls: dict[Call, frozenset[int]] = {}
    root = Path(polytomic.__file__).parent
    for source in sorted(root.rglob("raw_client.py")):
        # The synchronous client comes first; the asynchronous one repeats it.
        text = source.read_text().split("\nclass AsyncRaw", 1)[0]
        for method in re.split(r"\n    def ", text)[1:]:
            found = re.search(r'\n\s+f?"(api/[^"]*)",\n\s+method="(\w+)"', method)
            if found:
                key = (found.group(2), normalized(found.group(1)))
                calls[key] = _client_statuses(method, r"_response\.status_code == (\d+)")
    return calls


def typescript_sdk_calls(package: Path) -> dict[Call, frozenset[int]]:
    """Every call of the TypeScript SDK installed at `package` (`node_modules/polytomic`)."""
    calls: dict[Call, frozenset[int]] = {}
    for source in sorted((package / "api" / "resources").rglob("client/Client.js")):
        for method in re.split(r"\n    \w+\([^)]*\) \{\n", source.read_text())[1:]:
            found = re.search(r'[`"](api/[^`"]*)[`"]\)?,\n\s+method: "(\w+)"', method)
            if found:
                key = (found.group(2), normalized(found.group(1)))
                calls[key] = _client_statuses(method, r"case (\d{3}):")
    return calls
