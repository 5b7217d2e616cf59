"""The templates of an `http` sync: sandboxed Jinja2 making each request's path and body.

Templates run in Jinja2's immutable sandbox (no attribute of Python's
internals, no mutation of what they are given), with `StrictUndefined` (a
misspelt field is an error, never an empty string) and no autoescaping (the
output is JSON, not HTML). They see:

- `record`: the record's mapped values, by target field name;
- `changed_fields`: the names of the fields whose value changed since the
  API was last sent the record (all of them when it never was);
- `previous`: the values the API was last sent (None when it never was);
- `remote_id`: the id the API gave the record (`remote_id_path`), or None;
- `identity`: the value of the sync's identity field (a mapping of them when
  there are several; None without one);
- `sync`: `{"id", "name"}` of the sync.

Filters besides Jinja2's own: `tojson` (compact JSON, not HTML-escaped) and
`pick(names)` (a mapping with only those keys: `record | pick(changed_fields)`).

Repetition (`"-" * n`) and powers are bounded, so a typo cannot exhaust the
server; the sandbox does not bound every resource (a filter asked for a
huge width still gets it): templates are written by the organization's own
users, not by its records.

A path template's every `{{ value }}` is URL-quoted (`/` included), and an
empty or null value there is an error: `DELETE /contacts/{{ remote_id }}`
never becomes `DELETE /contacts/`. A body must render to JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from syncline.connectors.delivery.records import json_bytes
from syncline.connectors.vocabulary import FieldType

VARIABLES = ("record", "changed_fields", "previous", "remote_id", "identity", "sync")
"""What a template may use."""

RECORD_VARIABLES = frozenset(VARIABLES) - {"sync"}
"""The variables that differ from record to record."""

MEMORY_VARIABLES = frozenset({"previous", "changed_fields"})
"""The variables that need what the API was last sent (the sync then remembers values)."""

SAMPLES: dict[FieldType, Any] = {
    FieldType.STRING: "text",
    FieldType.NUMBER: 1,
    FieldType.BOOLEAN: True,
    FieldType.DATETIME: "2024-01-02T03:04:05Z",
    FieldType.ARRAY: ["text"],
    FieldType.OBJECT: {"key": "text"},
    FieldType.BINARY: "AA==",
    FieldType.UNKNOWN: "text",
}
"""A value of each field type as a record carries it (`delivery.records.jsonable`)."""

_EXCERPT = 120


class TemplateProblem(Exception):
    """A template does not parse, does not render, or renders what its place cannot take."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _tojson(value: Any, indent: int | None = None) -> str:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if indent is None:
        return json_bytes(value).decode()
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=_separators(indent))


def _separators(indent: int | None) -> tuple[str, str]:
    return (",", ": ") if indent is not None else (",", ":")


def _pick(value: Any, names: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"pick takes a mapping, not {type(value).__name__}")
    wanted = [names] if isinstance(names, str) else list(names)
    return {name: value[name] for name in wanted if name in value}


def _path_value(value: Any) -> str:
    """One `{{ value }}` of a path: URL-quoted; never empty."""
    if value is None or value == "":
        raise TemplateProblem("a value in the path is empty (null or '')")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return quote(text, safe="")


MAX_PRODUCT = 1_000_000
"""The longest text or list a template may make by repetition (`"-" * n`)."""
MAX_EXPONENT = 1_000


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, and no repetition or power big enough to exhaust the server."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                repeated = isinstance(items, str | list | tuple) and isinstance(times, int)
                if repeated and len(items) * times > MAX_PRODUCT:
                    raise TemplateProblem(f"a repetition would make more than {MAX_PRODUCT} items")
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise TemplateProblem(f"an exponent above {MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)


def _environment(*, path: bool) -> ImmutableSandboxedEnvironment:
    environment = _Sandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=_path_value if path else None,
    )
    environment.filters["tojson"] = _tojson
    environment.filters["pick"] = _pick
    return environment


_BODY = _environment(path=False)
_PATH = _environment(path=True)


@dataclass(frozen=True)
class Template:
    """One compiled template, and the variables it uses."""

    source: str
    template: jinja2.Template
    variables: frozenset[str]
    path: bool

    @property
    def whole_record(self) -> bool:
        """Whether it is the default body, the record as JSON (`WHOLE_RECORD`)."""
        return not self.path and self.source.strip() == WHOLE_RECORD

    def render(self, context: Mapping[str, Any]) -> str:
        """The text, stripped. Raises `TemplateProblem` with the reason."""
        try:
            return self.template.render(context).strip()
        except TemplateProblem:
            raise
        except jinja2.TemplateError as error:
            raise TemplateProblem(_reason(error)) from None
        except Exception as error:  # noqa: BLE001 - a template can fail in any way its expressions can
            raise TemplateProblem(f"{type(error).__name__}: {error}") from None


def compile_template(source: str, *, path: bool) -> Template:
    """A path (URL-quoted values) or body template. Raises `TemplateProblem` when it does not
    parse or uses a variable it is not given."""
    environment = _PATH if path else _BODY
    try:
        parsed = environment.parse(source)
        template = environment.from_string(parsed)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"line {error.lineno}: {error.message}") from None
    used = frozenset(meta.find_undeclared_variables(parsed))
    unknown = sorted(used - set(VARIABLES))
    if unknown:
        raise TemplateProblem(
            f"unknown variable {unknown[0]!r}; a template sees {', '.join(VARIABLES)}"
            f" (a field is record.{unknown[0]})"
        )
    return Template(source, template, used, path)


WHOLE_RECORD = "{{ record | tojson }}"
"""The default body: the record as JSON, rendered without the sandbox (same bytes)."""


def render_body(template: Template, context: Mapping[str, Any]) -> str:
    """A body: the rendered text, which must be JSON. Raises `TemplateProblem`."""
    if template.whole_record:
        # The sandbox costs three times `json.dumps` per record for the very same text.
        return _tojson(context["record"])
    text = template.render(context)
    try:
        json.loads(text)
    except ValueError as error:
        shown = " ".join(text.split())
        if len(shown) > _EXCERPT:
            shown = shown[: _EXCERPT - 1] + "…"
        raise TemplateProblem(
            f"it rendered what is not JSON ({error}): {shown or '(empty)'}"
        ) from None
    return text


def render_path(template: Template, context: Mapping[str, Any]) -> str:
    """A path to append to the base URL. Raises `TemplateProblem` when it renders a URL
    of its own (it would send the connection's credentials elsewhere)."""
    text = template.render(context)
    if text.startswith("//") or "://" in text.split("?", 1)[0] or any(c in text for c in "\r\n"):
        raise TemplateProblem(f"a path is appended to base_url; {text!r} is not a path")
    return text


def join_url(base_url: str, path: str) -> str:
    """`path` appended to `base_url` (`?query` directly, a path after exactly one `/`)."""
    if not path:
        return base_url
    if path[0] in "?#":
        return base_url + path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def sample_record(fields: Mapping[str, FieldType]) -> dict[str, Any]:
    """A record with a value of each field's type, to try templates on."""
    return {name: SAMPLES.get(kind, "text") for name, kind in fields.items()}


def _reason(error: jinja2.TemplateError) -> str:
    message = error.message or type(error).__name__
    if isinstance(error, jinja2.UndefinedError):
        return f"{message} (undefined)"
    return message
