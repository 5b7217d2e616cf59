"""Where marked fields sit inside a configuration: paths through nested models and lists.

A configuration model may declare a secret (or a destination) not only as one
of its own fields but inside a nested model (`basic.password`) or inside the
items of a list of models (`headers[0].value`). Two shapes name such places:

- a *pattern* (`FieldPattern`) names a field of the model class: its steps are
  field names, and `ITEM` for "every item of this list"
  (`("headers", ITEM, "value")`);
- a *path* (`ConfigPath`) names one place in one configuration's dumped form
  (`model_dump()`, JSON or Python mode): field names and list indices
  (`("headers", 0, "value")`).

`marked` finds the patterns of the fields carrying a JSON schema mark;
`expand` turns a pattern into the paths present in a dumped configuration;
`get_path`, `set_path` and `remove_path` read and edit one place; `path_key`
and `parse_key` turn a path into a flat string key (`headers.0.value`) and
back. A path of one step is its field's name, so a flat mapping keyed this
way holds top-level fields under their own names.

Nested models are found through `X | None`, unions of models, and lists
and tuples of them. Mappings of models are not walked: a mark inside one
is not found, so a type must not put a secret there.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, Final

from pydantic import BaseModel

ITEM: Final = "*"
"""The pattern step standing for every item of a list (no field is named `*`)."""

FieldPattern = tuple[str, ...]
"""A field of a model class: field names, and `ITEM` for each item of a list."""

ConfigPath = tuple[str | int, ...]
"""One place in a dumped configuration: field names and list indices."""

MISSING: Final = object()
"""What `get_path` answers for a place that is not there."""


@cache
def marked(model: type[BaseModel], marker: str) -> dict[FieldPattern, Any]:
    """Every field of `model`, nested ones included, whose JSON schema extra holds a
    truthy `marker`, with the marker's value.

    A model met again inside itself (a recursive model) is not walked twice.
    """
    return dict(_marked(model, marker, (), frozenset()))


def _marked(
    model: type[BaseModel], marker: str, prefix: FieldPattern, seen: frozenset[type[BaseModel]]
) -> Iterator[tuple[FieldPattern, Any]]:
    if model in seen:
        return
    seen = seen | {model}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(marker):
            yield (*prefix, name), extra[marker]
        for steps, nested in _models_in(info.annotation):
            yield from _marked(nested, marker, (*prefix, name, *steps), seen)


def _models_in(annotation: Any) -> Iterator[tuple[FieldPattern, type[BaseModel]]]:
    """The models an annotation holds, each with the steps leading into it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield (), annotation
        return
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _models_in(arguments[0])
    elif origin is typing.Union or origin is types.UnionType:
        for argument in arguments:
            yield from _models_in(argument)
    elif isinstance(origin, type) and issubclass(origin, Sequence):
        for argument in arguments:
            if argument is not Ellipsis:
                for steps, nested in _models_in(argument):
                    yield (ITEM, *steps), nested


def expand(data: Any, pattern: FieldPattern) -> list[ConfigPath]:
    """The paths in `data` (a dumped configuration) that `pattern` names, in order.

    Only places that are there are named: an absent optional object or an
    empty list yields nothing, and the last step must be a key present in
    its object.
    """
    found: list[ConfigPath] = []
    _expand(data, pattern, (), found)
    return found


def _expand(data: Any, pattern: FieldPattern, at: ConfigPath, found: list[ConfigPath]) -> None:
    if not pattern:
        found.append(at)
        return
    step, rest = pattern[0], pattern[1:]
    if step == ITEM:
        if isinstance(data, list | tuple):
            for index, item in enumerate(data):
                _expand(item, rest, (*at, index), found)
    elif isinstance(data, dict) and step in data:
        _expand(data[step], rest, (*at, step), found)


def get_path(data: Any, path: ConfigPath) -> Any:
    """The value at `path` in `data`, or `MISSING`."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list | tuple) or not 0 <= step < len(data):
                return MISSING
            data = data[step]
        else:
            if not isinstance(data, dict) or step not in data:
                return MISSING
            data = data[step]
    return data


def set_path(data: Any, path: ConfigPath, value: Any) -> bool:
    """Set the value at `path` in `data`, in place; False (and nothing set) when the
    place's parent object or list item is not there."""
    parent = get_path(data, path[:-1])
    last = path[-1]
    if isinstance(last, int):
        if isinstance(parent, list) and 0 <= last < len(parent):
            parent[last] = value
            return True
        return False
    if isinstance(parent, dict):
        parent[last] = value
        return True
    return False


def remove_path(data: Any, path: ConfigPath) -> None:
    """Remove the key at `path` from its object in `data`, in place, if it is there."""
    parent = get_path(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def path_key(path: ConfigPath) -> str:
    """The flat key of a path: its steps joined with dots (`headers.0.value`)."""
    return ".".join(str(step) for step in path)


def parse_key(key: str) -> ConfigPath:
    """The path of a flat key made by `path_key`: digit-only steps are list indices
    (no field name starts with a digit)."""
    return tuple(int(step) if step.isdigit() else step for step in key.split("."))
