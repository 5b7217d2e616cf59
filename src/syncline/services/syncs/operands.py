"""Filter functions and their operands, checked once for filters and overrides alike.

Which functions suit a field is given by the caller (the model field's type,
or the target field's own list); the operand's shape comes from
`FILTER_FUNCTIONS[function].shape`, and its scalars must suit the field's
type: numbers (or numeric strings) for number fields, ISO-8601 dates or
datetimes for datetime fields, true or false for boolean fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syncline.connectors.durations import EXAMPLES, parse_duration
from syncline.connectors.vocabulary import FILTER_FUNCTIONS, FieldType, FilterFunction, ValueShape
from syncline.errors import ValidationFailed
from syncline.services.syncs.messages import choices, did_you_mean

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def filter_function(
    name: str, allowed: Sequence[FilterFunction], *, path: str, subject: str
) -> FilterFunction:
    """The filter function called `name`, which must be one of `allowed`.

    `subject` names what is filtered, for messages ("model field 'age' (number)").
    Raises `ValidationFailed` at `path` listing the allowed functions.
    """
    allowed_names = [f.value for f in allowed]
    try:
        function = FilterFunction(name)
    except ValueError:
        raise ValidationFailed(
            f"{name!r} is not a filter function{did_you_mean(name, allowed_names)}; "
            f"functions for {subject}: {choices(allowed_names)}",
            path=path,
        ) from None
    if function not in allowed:
        raise ValidationFailed(
            f"filter function {name!r} cannot be used on {subject}; "
            f"choose one of: {choices(allowed_names)}",
            path=path,
        )
    return function


def check_operand(function: FilterFunction, value: Any, field_type: FieldType, path: str) -> None:
    """Check that `value` is the operand `function` takes on a field of `field_type`.

    NONE: absent; SCALAR: one string, number or boolean; LIST: a non-empty
    list of them; PAIR: a list of exactly two; DURATION: a duration string
    (see `durations`). Raises `ValidationFailed` at `path` (or at the
    offending list item) saying what to write instead.
    """
    shape = FILTER_FUNCTIONS[function].shape
    name = function.value
    if shape is ValueShape.NONE:
        if value is not None:
            raise ValidationFailed(f"filter function {name} takes no value; remove it", path=path)
    elif shape is ValueShape.SCALAR:
        _check_scalar(value, field_type, name, path)
    elif shape is ValueShape.DURATION:
        _check_duration(value, name, path)
    else:
        _check_list(value, shape, field_type, name, path)


def _check_list(value: Any, shape: ValueShape, field_type: FieldType, name: str, path: str) -> None:
    if shape is ValueShape.PAIR:
        if not isinstance(value, list) or len(value) != 2:
            raise ValidationFailed(
                f"filter function {name} takes a list of exactly two values, like [1, 10]",
                path=path,
            )
    elif not isinstance(value, list) or not value:
        raise ValidationFailed(
            f'filter function {name} takes a non-empty list of values, like ["a", "b"]',
            path=path,
        )
    for index, item in enumerate(value):
        _check_scalar(item, field_type, name, f"{path}[{index}]")


def _check_scalar(value: Any, field_type: FieldType, name: str, path: str) -> None:
    if value is None or isinstance(value, list | dict):
        raise ValidationFailed(
            f"filter function {name} takes a single value (a string, number or boolean)",
            path=path,
        )
    if field_type is FieldType.NUMBER and not _is_number(value):
        raise ValidationFailed(
            f"{value!r} is not a number; filters on number fields compare with numbers",
            path=path,
        )
    if field_type is FieldType.BOOLEAN and not _is_boolean(value):
        raise ValidationFailed(
            f"{value!r} is not a boolean; filters on boolean fields compare with true or false",
            path=path,
        )
    if field_type is FieldType.DATETIME and not _is_datetime(value):
        raise ValidationFailed(
            f"{value!r} is not an ISO-8601 date or datetime, like '2024-01-15' "
            "or '2024-01-15T09:30:00Z'",
            path=path,
        )


def _check_duration(value: Any, name: str, path: str) -> None:
    if not isinstance(value, str):
        raise ValidationFailed(
            f"filter function {name} takes a duration, like {EXAMPLES}", path=path
        )
    try:
        parse_duration(value)
    except ValueError as error:
        raise ValidationFailed(str(error), path=path) from error


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but True is not a number a person means to compare with.
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None


def _is_boolean(value: Any) -> bool:
    # As the engine reads a boolean operand (`engine.values.to_scalar`).
    return isinstance(value, bool) or (
        isinstance(value, str) and value.strip().lower() in ("true", "false")
    )


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
