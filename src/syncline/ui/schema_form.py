"""Forms made from a connection type's JSON schema: the controls to show.

`spec_of` resolves a configuration's JSON schema (pydantic's, the one
`GET /api/connection_types/{id}` serves) into `Spec`s: one per property,
`$ref`, single `allOf` and `anyOf [X, null]` resolved. `controls` turns specs
and a configuration into `Control`s for `connection_fields.html`;
`schema_form_values.parse` reads a posted form back into a configuration.

Every control is named by the JSON path of its value (`configuration.host`,
`configuration.basic.password`, `configuration.headers[0].value`): the path
a `ValidationFailed` names, so a refusal lands next to its control.

Per property: string → text (URL, or a text area for PEM or very long
values), number and integer → number, boolean → checkbox, enum → select,
object → fieldset (an optional one with a "use" checkbox), list of simple
values → text area one per line, list of objects → repeated rows (empty rows
ignored), anything else → JSON text area. Secrets (`secret`,
`format: password`, `writeOnly`) are never shown: their controls are empty,
and where a secret is saved an empty one sends `MASK`, which keeps it.
Generated secrets (`readOnly`) are the server's: shown as a note, never read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from syncline.connectors.base import MASK

Kind = Literal[
    "text",
    "url",
    "multiline",
    "number",
    "checkbox",
    "select",
    "lines",
    "json",
    "group",
    "rows",
    "generated",
]
"""What a property is shown as (see the module docstring); `generated`: a note, no control."""

MISSING: Final[Any] = object()
"""A `Spec.default` for a property without one."""

EXTRA_ROWS = 2
"""Empty rows offered below a list's items."""
_MULTILINE_LENGTH = 2000
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Spec:
    """One property of a configuration schema, resolved."""

    kind: Kind
    title: str
    help: str = ""
    required: bool = False
    secret: bool = False
    optional: bool = False
    """A group that may be left out (null): shown with a "use" checkbox."""
    default: Any = MISSING
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Any, ...] = ()
    fields: tuple[tuple[str, Spec], ...] = ()
    """A group's properties; a list's item properties (`rows`)."""


@dataclass(frozen=True)
class Control:
    """One control of the form, named by its JSON path; never holds a secret's value."""

    kind: Kind
    name: str
    label: str
    help: str = ""
    required: bool = False
    enforce: bool = False
    """Whether the browser enforces `required` (not inside an optional group or a row)."""
    secret: bool = False
    saved: bool = False
    """A secret is saved here: leaving the control empty keeps it."""
    value: str = ""
    checked: bool = False
    optional: bool = False
    options: tuple[tuple[str, str], ...] = ()
    step: str = "any"
    minimum: str = ""
    maximum: str = ""
    children: tuple[Control, ...] = field(default=())

    @property
    def id(self) -> str:
        """The element id, as `macros.html` derives it from the name."""
        return self.name.replace(".", "-").replace("[", "-").replace("]", "")


def spec_of(schema: Mapping[str, Any]) -> Spec:
    """The spec of a configuration schema (an object): a group of its properties."""
    defs = schema.get("$defs") or {}
    return Spec(kind="group", title=str(schema.get("title") or ""), fields=_fields(schema, defs, 0))


def _fields(node: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> tuple[Any, ...]:
    required = set(node.get("required") or ())
    properties = node.get("properties") or {}
    return tuple(
        (name, _spec(name, prop, defs, name in required, depth + 1))
        for name, prop in properties.items()
        if isinstance(prop, Mapping)
    )


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """`node` with `$ref`, one-item `allOf` and `anyOf [X, null]` merged in (the outer keys
    win: a property's own title and default); and whether null is allowed."""
    found = dict(node)
    nullable = False
    for _ in range(_MAX_DEPTH):
        if isinstance(found.get("$ref"), str):
            name = found.pop("$ref").rsplit("/", 1)[-1]
            found = {**(defs.get(name) or {}), **found}
        elif isinstance(found.get("allOf"), list) and len(found["allOf"]) == 1:
            found = {**found.pop("allOf")[0], **found}
        elif isinstance(found.get("anyOf"), list):
            others = [o for o in found["anyOf"] if o.get("type") != "null"]
            if len(others) != 1:
                break
            nullable = nullable or len(others) < len(found.pop("anyOf"))
            found = {**others[0], **found}
        else:
            break
    kind = found.get("type")
    if isinstance(kind, list):
        nullable = nullable or "null" in kind
        rest = [k for k in kind if k != "null"]
        found["type"] = rest[0] if len(rest) == 1 else None
    return found, nullable


def _spec(
    name: str, prop: Mapping[str, Any], defs: Mapping[str, Any], required: bool, depth: int
) -> Spec:
    node, nullable = _resolve(prop, defs)
    title = str(prop.get("title") or _title(name, node.get("title")))
    base: dict[str, Any] = {
        "title": title,
        "help": str(node.get("description") or "").strip(),
        "required": required,
        "default": node.get("default", MISSING),
    }
    kind = node.get("type")
    if node.get("readOnly") is True:
        return Spec(kind="generated", secret=True, **base)
    if isinstance(node.get("enum"), list):
        return Spec(kind="select", options=tuple(node["enum"]), optional=nullable, **base)
    if kind == "boolean":
        return Spec(kind="checkbox", **base)
    if kind in ("integer", "number"):
        return Spec(
            kind="number",
            integer=kind == "integer",
            minimum=_bound(node, "minimum"),
            maximum=_bound(node, "maximum"),
            **base,
        )
    if kind == "string":
        secret = (
            node.get("secret") is True
            or node.get("format") == "password"
            or node.get("writeOnly") is True
        )
        # PEM blocks and other long values have lines, which a one-line input would lose.
        long = int(node.get("maxLength") or 0) > _MULTILINE_LENGTH or "PEM" in base["help"]
        text: Kind = "multiline" if long else "url" if node.get("format") == "uri" else "text"
        return Spec(kind=text, secret=secret, **base)
    if depth < _MAX_DEPTH and kind == "object" and isinstance(node.get("properties"), Mapping):
        optional = nullable or (not required and base["default"] in (MISSING, None))
        return Spec(kind="group", optional=optional, fields=_fields(node, defs, depth), **base)
    if kind == "array" and isinstance(node.get("items"), Mapping):
        items, _ = _resolve(node["items"], defs)
        if depth < _MAX_DEPTH and isinstance(items.get("properties"), Mapping):
            return Spec(kind="rows", fields=_fields(items, defs, depth), **base)
        if items.get("type") in ("string", "integer", "number") and "enum" not in items:
            return Spec(kind="lines", integer=items.get("type") == "integer", **base)
    return Spec(kind="json", **base)


def _title(name: str, model_title: Any) -> str:
    """A property's label when it has no title: a `$ref`'s title is its class name, which
    reads well only when it is the property's name (`OAuth`, not `BasicAuth`)."""
    if isinstance(model_title, str) and model_title.lower() == name.replace("_", "").lower():
        return model_title
    return name.replace("_", " ").capitalize()


def _bound(node: Mapping[str, Any], key: str) -> float | None:
    value = node.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def controls(spec: Spec, values: Mapping[str, Any] | None) -> list[Control]:
    """The controls of a configuration form, prefilled from `values` (a configuration as
    `ConnectionService.masked_configuration` shows it; None: the schema's defaults)."""
    return [
        _control(child, f"configuration.{name}", _value(child, values, name), enforce=True)
        for name, child in spec.fields
    ]


def _value(spec: Spec, values: Mapping[str, Any] | None, name: str) -> Any:
    if values is not None and name in values:
        return values[name]
    return None if spec.default is MISSING else spec.default


def _control(spec: Spec, name: str, value: Any, *, enforce: bool) -> Control:
    common: dict[str, Any] = {
        "kind": spec.kind,
        "name": name,
        "label": spec.title,
        "help": spec.help,
        "required": spec.required,
        "secret": spec.secret,
        "enforce": enforce and spec.required and not spec.secret,
    }
    if spec.secret:
        return Control(saved=value == MASK, **common)
    if spec.kind == "checkbox":
        return Control(checked=value is True, **common)
    if spec.kind == "select":
        choices = [("", "(none)")] if spec.optional or spec.default is MISSING else []
        choices += [(str(option), str(option)) for option in spec.options]
        return Control(options=tuple(choices), value="" if value is None else str(value), **common)
    if spec.kind == "number":
        return Control(
            value=_number_text(value),
            step="1" if spec.integer else "any",
            minimum=_number_text(spec.minimum),
            maximum=_number_text(spec.maximum),
            **common,
        )
    if spec.kind == "lines":
        shown = "\n".join(str(v) for v in value) if isinstance(value, list) else ""
        return Control(value=shown, **common)
    if spec.kind == "json":
        shown = (
            value
            if isinstance(value, str)
            else ""
            if value is None
            else json.dumps(value, indent=2)
        )
        return Control(value=shown, **common)
    if spec.kind == "group":
        inner = value if isinstance(value, Mapping) else None
        children = tuple(
            _control(
                child,
                f"{name}.{key}",
                _value(child, inner, key),
                enforce=enforce and not spec.optional,
            )
            for key, child in spec.fields
        )
        return Control(
            children=children, optional=spec.optional, checked=inner is not None, **common
        )
    if spec.kind == "rows":
        items = (
            [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
        )
        rows = tuple(
            Control(
                kind="group",
                name=f"{name}[{index}]",
                label=f"{spec.title}, row {index + 1}",
                children=tuple(
                    _control(
                        child, f"{name}[{index}].{key}", _value(child, item, key), enforce=False
                    )
                    for key, child in spec.fields
                ),
            )
            for index, item in enumerate([*items, *([{}] * EXTRA_ROWS)])
        )
        return Control(children=rows, **common)
    return Control(value="" if value is None else str(value), **common)


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
