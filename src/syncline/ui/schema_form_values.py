"""What a posted connection form asks for: the configuration, read back by its `Spec`.

The form is the one `schema_form.controls` made: every control named by the
JSON path of its value. Reading follows the same spec, so every property is
read as it was shown (see `schema_form`'s docstring for the rules).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from syncline.connectors.base import MASK
from syncline.ui.schema_form import Spec

_OMIT: Final[Any] = object()

MAX_ROWS = 500
"""Rows read from one list: the form's own field limit bounds it anyway."""


@dataclass(frozen=True)
class Parsed:
    """A posted form read back: the configuration, and what could not be read (by path)."""

    configuration: dict[str, Any]
    errors: dict[str, str]


def parse(spec: Spec, form: Mapping[str, Any], saved: Mapping[str, Any] | None = None) -> Parsed:
    """The configuration a posted form asks for.

    `saved` is the stored configuration as `masked_configuration` shows it
    (editing), or None (creating). An empty control leaves its property out,
    so the server applies its default (or names it as required). An empty
    secret control sends `MASK` where `saved` holds one at that place, which
    keeps the stored secret; elsewhere it is left out. Rows whose controls are
    all empty are dropped. Never raises: a value that cannot be read (bad JSON)
    is kept as typed and named in `Parsed.errors`.
    """
    errors: dict[str, str] = {}
    configuration = _read_fields(spec, "configuration", form, saved, errors)
    return Parsed(configuration, errors)


def _read_fields(
    spec: Spec, name: str, form: Mapping[str, Any], saved: Any, errors: dict[str, str]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, child in spec.fields:
        before = saved.get(key) if isinstance(saved, Mapping) else None
        value = _read(child, f"{name}.{key}", form, before, errors)
        if value is not _OMIT:
            found[key] = value
    return found


def _read(
    spec: Spec, name: str, form: Mapping[str, Any], saved: Any, errors: dict[str, str]
) -> Any:
    if spec.kind == "generated":
        return _OMIT
    if spec.kind == "checkbox":
        return _text(form, name) is not None
    if spec.kind == "group":
        if spec.optional and _text(form, name) is None:
            return _OMIT
        return _read_fields(spec, name, form, saved, errors)
    if spec.kind == "rows":
        items = []
        for index in _indices(form, name):
            row = f"{name}[{index}]"
            if _blank(form, row):
                continue
            before = saved[index] if isinstance(saved, list) and index < len(saved) else None
            items.append(_read_fields(spec, row, form, before, errors))
        return items or _OMIT
    raw = _text(form, name)
    if raw is None:
        return _OMIT
    if spec.kind in ("multiline", "json", "lines"):
        raw = raw.replace("\r\n", "\n")  # browsers send a text area's lines with CR LF
    if spec.secret:
        return raw if raw else MASK if saved == MASK else _OMIT
    if not raw.strip():
        return _OMIT
    if spec.kind == "number":
        return _number(raw.strip(), spec.integer)
    if spec.kind == "lines":
        lines = [line.strip() for line in raw.split("\n") if line.strip()]
        return [_number(line, spec.integer) for line in lines] if spec.integer else lines
    if spec.kind == "select":
        return next((option for option in spec.options if str(option) == raw), raw)
    if spec.kind == "json":
        try:
            return json.loads(raw)
        except ValueError as exc:
            errors[name] = f"not valid JSON ({exc})"
            return raw
    return raw


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _number(raw: str, integer: bool) -> Any:
    """A number as typed; text that is none is sent as is, for the server to name."""
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        return raw


def _indices(form: Mapping[str, Any], name: str) -> list[int]:
    pattern = re.compile(re.escape(name) + r"\[(\d{1,6})\]\.")
    found = {int(m.group(1)) for key in form if (m := pattern.match(key))}
    return sorted(found)[:MAX_ROWS]


def _blank(form: Mapping[str, Any], row: str) -> bool:
    """Whether every control of a row is empty (an unchecked box sends nothing)."""
    prefix = f"{row}."
    return all(
        not (isinstance(value, str) and value.strip())
        for key, value in form.items()
        if key.startswith(prefix)
    )


def summary(spec: Spec, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The top-level settings of a configuration as (label, text), for reading: secrets
    as "saved" or "not set", lists and objects as JSON with their secrets masked."""
    shown: list[tuple[str, str]] = []
    for key, child in spec.fields:
        value = values.get(key)
        if child.secret:
            text = "saved" if value else "not set"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif value is None or value in ("", [], {}):
            text = "not set"
        elif isinstance(value, list | dict):
            text = json.dumps(value)
        else:
            text = str(value)
        shown.append((child.title, text))
    return shown
