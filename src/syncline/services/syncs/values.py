"""Whether the values a sync writes fit the target fields they are written into.

Every mapping of a model field onto an existing target field (in `fields`,
in `identities` when the key's target is not mapped too, and as the model
field a target filter compares with) is looked up in the target's declared
`Acceptance` (see `connectors.compatibility`), with the bounds of both sides:

- `NEVER` refuses the sync at the mapping's path;
- `PER_VALUE` accepts it with a `SyncWarning` saying which values will fail;
- `EXACT` says nothing.

Fixed values are single known values, so they are checked exactly: given as
text (as the SDKs send them), they must read as the column's type; given as
JSON numbers or booleans, they must fit like a field of that kind. The
replacement of a value override must convert to its model field's type, as
the engine converts it on every run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from syncline.connectors.base import TargetField
from syncline.connectors.compatibility import Acceptance, Fit, ValueDomain, ValueKind
from syncline.engine.values import to_scalar
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import SyncWarning
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo, ValidationContext
from syncline.services.syncs.inputs import MappingInput, OverrideInput, SyncInput
from syncline.services.syncs.references import model_field

K = ValueKind
NOUNS: dict[ValueKind, str] = {
    K.TEXT: "text",
    K.TYPED_TEXT: "text",
    K.INTEGER: "whole numbers",
    K.DECIMAL: "decimal numbers",
    K.FLOAT: "floating-point numbers",
    K.NUMBER: "numbers",
    K.BOOLEAN: "booleans",
    K.DATE: "dates",
    K.TIMESTAMP: "timestamps",
    K.TIME: "times of day",
    K.INTERVAL: "durations",
    K.JSON: "JSON objects",
    K.ARRAY: "arrays",
    K.BINARY: "binary data",
    K.ANY: "any value",
    K.UNKNOWN: "values of a type Syncline does not know",
}
_NUMBERS = frozenset({K.INTEGER, K.DECIMAL, K.FLOAT, K.NUMBER})
_PARSED = frozenset({K.INTEGER, K.DECIMAL, K.FLOAT, K.BOOLEAN, K.DATE, K.TIMESTAMP})


@dataclass(frozen=True)
class Verdict:
    """How one kind of value goes into one column, and why in words."""

    fit: Fit
    reason: str = ""


def judge(value: ValueDomain, column: ValueDomain, acceptance: Acceptance) -> Verdict:
    """How values of `value` go into a column holding `column` on a target
    accepting `acceptance`: the declared fit, narrowed by both sides' bounds."""
    fit = acceptance.fit(value.kind, column.kind)
    if fit is Fit.NEVER:
        return Verdict(Fit.NEVER, _never_reason(value.kind, column.kind))
    bounded = _bounds(value, column)
    if fit is Fit.EXACT:
        return bounded or Verdict(Fit.EXACT)
    if bounded is not None and bounded.fit is Fit.PER_VALUE:
        return bounded
    return Verdict(Fit.PER_VALUE, _per_value_reason(value.kind, column.kind))


def check_values(
    request: SyncInput, model: ModelInfo, context: ValidationContext
) -> list[SyncWarning]:
    """The warnings of a sync whose mappings all fit, in request order.

    Raises `ValidationFailed` at the first mapping (`fields[i]`,
    `identities.mappings[i]`, a target filter's `value_source`) whose model
    field can never be written into its target field, at the first fixed
    value (`...override_value`) its target field cannot hold, and at the
    first value override (`overrides[i].override`) whose replacement does
    not convert to its model field's type.
    """
    target = context.target
    acceptance = target.acceptance
    warnings: list[SyncWarning] = []
    fields = {f.id: f for f in target.fields}
    mapped: set[str] = set()

    def written(source: ModelFieldInfo, field: TargetField, path: str, what: str) -> None:
        if field.domain is None:
            return
        verdict = judge(source.values, field.domain, acceptance)
        subject = f"{what} {source.name!r} ({_describe_source(source)})"
        column = f"target field {field.id!r} ({field.remote_type})"
        if verdict.fit is Fit.NEVER:
            raise ValidationFailed(
                f"{subject} can never be written into {column}: {verdict.reason}", path=path
            )
        if verdict.fit is Fit.PER_VALUE:
            warnings.append(
                SyncWarning(
                    code="values_may_not_fit",
                    message=f"some values of {subject} may not fit {column}: {verdict.reason}",
                    path=path,
                )
            )

    for mapping in request.mappings:
        field = fields.get(mapping.target)
        if mapping.source is None:
            if field is not None:
                warnings.extend(_check_fixed(mapping, field, acceptance))
            continue
        mapped.add(mapping.target)
        if field is not None:
            written(model_field(model, mapping.source), field, mapping.path, "model field")
    for identity in request.identities.mappings if request.identities is not None else []:
        field = fields.get(identity.identity.target)
        if field is not None and field.id not in mapped:
            written(model_field(model, identity.source), field, identity.path, "identity field")
    for condition in request.target_filters.conditions:
        field = fields.get(condition.field)
        if condition.value_source is not None and field is not None:
            compared = model_field(model, condition.value_source)
            written(compared, field, condition.value_source.path, "compared model field")
    for override in request.overrides:
        if override.field is not None:
            _check_replacement(override, model_field(model, override.field))
    return warnings


# ------------------------------------------------------------------ bounds


def _bounds(value: ValueDomain, column: ValueDomain) -> Verdict | None:
    """EXACT when `value`'s bounds lie within `column`'s, PER_VALUE (saying which
    values fail) when they may not, None when the column has no bounds to keep."""
    if column.kind is K.INTEGER and value.kind in _NUMBERS:
        inside = (
            value.kind is K.INTEGER
            and _within(value.low, column.low, lower=True)
            and _within(value.high, column.high, lower=False)
        )
        reason = f"values outside {_range(column)} are refused"
        return Verdict(Fit.EXACT) if inside else Verdict(Fit.PER_VALUE, reason)
    if column.kind is K.DECIMAL and column.precision is not None and value.kind in _NUMBERS:
        whole = column.precision - (column.scale or 0)
        digits = _digits(value)
        fits = (value.kind is K.INTEGER and digits is not None and digits <= whole) or (
            value.kind is K.DECIMAL
            and value.precision is not None
            and value.precision - (value.scale or 0) <= whole
            and (value.scale or 0) <= (column.scale or 0)
        )
        reason = (
            f"values with more than {whole} digits before the point are refused, and "
            f"digits beyond {column.scale or 0} after it are rounded off"
        )
        return Verdict(Fit.EXACT) if fits else Verdict(Fit.PER_VALUE, reason)
    if column.length is not None and column.kind in (K.TEXT, K.BINARY):
        fits = value.kind in (K.TEXT, K.BINARY) and (
            value.length is not None and value.length <= column.length
        )
        unit = "characters" if column.kind is K.TEXT else "bytes"
        reason = f"values longer than {column.length} {unit} are refused"
        return Verdict(Fit.EXACT) if fits else Verdict(Fit.PER_VALUE, reason)
    return None


def _within(bound: int | None, limit: int | None, *, lower: bool) -> bool:
    if limit is None:
        return True
    if bound is None:
        return False
    return bound >= limit if lower else bound <= limit


def _digits(domain: ValueDomain) -> int | None:
    if domain.low is None or domain.high is None:
        return None
    return max(len(str(abs(domain.low))), len(str(abs(domain.high))))


def _range(domain: ValueDomain) -> str:
    low = "any" if domain.low is None else str(domain.low)
    high = "any" if domain.high is None else str(domain.high)
    return f"{low} to {high}"


def _never_reason(value: ValueKind, column: ValueKind) -> str:
    if value in (K.TEXT, K.TYPED_TEXT) and column in _PARSED:
        return (
            f"text is not read as {NOUNS[column]}; map a field of that type, or convert "
            "the text in the model's query"
        )
    if value in (K.DECIMAL, K.FLOAT) and column in (K.INTEGER, K.BOOLEAN):
        return (
            f"the column takes {NOUNS[column]} and this database refuses every number "
            "written with a fraction; round or cast it in the model's query"
        )
    return f"{NOUNS[value]} cannot be written into a column of {NOUNS[column]}"


def _per_value_reason(value: ValueKind, column: ValueKind) -> str:
    if value is K.TIMESTAMP and column is K.DATE:
        return "the time of day of each value is dropped"
    if value is K.TIMESTAMP and column is K.TIME:
        return "the date of each value is dropped"
    if value in _NUMBERS and column is K.BOOLEAN:
        return "only 0 and 1 are written as false and true; other numbers are refused or kept"
    if value in (K.DECIMAL, K.FLOAT, K.NUMBER) and column is K.INTEGER:
        return "fractions are rounded or refused"
    return (
        f"each value is converted into the column's type, and {NOUNS[value]} that do not "
        "convert are refused"
    )


def _describe_source(field: ModelFieldInfo) -> str:
    if field.remote_type and field.remote_type != field.type.value:
        return f"{field.type.value}, {field.remote_type}"
    return field.type.value


# ------------------------------------------------------------------ fixed values


def _check_fixed(
    mapping: MappingInput, field: TargetField, acceptance: Acceptance
) -> list[SyncWarning]:
    """Refuse a fixed value `field` can never hold (see the module docstring).

    Text for a column that parses it by a type Syncline does not check
    (uuid, enum, interval) is accepted with a warning: it is one value, so
    every record is written, or none is.
    """
    value, domain = mapping.override_value, field.domain
    if value is None or domain is None:
        return []
    path = f"{mapping.path}.override_value"
    column = f"target field {field.id!r} ({field.remote_type})"
    problem = _fixed_problem(value, domain, acceptance)
    if problem is not None:
        raise ValidationFailed(
            f"the fixed value {value!r} cannot be written into {column}: {problem}", path=path
        )
    if isinstance(value, str) and domain.kind in _UNCHECKED_TEXT:
        message = (
            f"the fixed value {value!r} is read by {column} when the sync runs; "
            "if the column does not take it, every record is refused"
        )
        return [SyncWarning(code="fixed_value_unchecked", message=message, path=path)]
    return []


_UNCHECKED_TEXT = frozenset({K.TYPED_TEXT, K.TIME, K.INTERVAL, K.UNKNOWN})
"""Column kinds that parse text by rules Syncline does not check."""


def _fixed_problem(value: Any, column: ValueDomain, acceptance: Acceptance) -> str | None:
    kind = column.kind
    if isinstance(value, str):
        if kind in _TEXT_READERS and acceptance.fit(K.TEXT, kind) is Fit.NEVER:
            return _TEXT_READERS[kind](value.strip(), column, acceptance)
        if acceptance.fit(K.TEXT, kind) is Fit.NEVER:
            return _never_reason(K.TEXT, kind)
        if kind is K.JSON and not _is_json(value):
            return "the column takes JSON, and this text is not JSON"
        if kind is K.TEXT and column.length is not None and len(value) > column.length:
            return f"it is longer than the column's {column.length} characters"
        return None
    value_domain = _domain_of(value)
    verdict = judge(value_domain, column, acceptance)
    if verdict.fit is Fit.NEVER:
        return verdict.reason
    if (
        kind in (K.INTEGER, K.DECIMAL)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return _number_problem(Decimal(str(value)), column)
    return None


def _domain_of(value: Any) -> ValueDomain:
    """The domain of a fixed value by its JSON type."""
    if isinstance(value, bool):
        return ValueDomain(K.BOOLEAN)
    if isinstance(value, int):
        return ValueDomain(K.INTEGER, low=value, high=value)
    if isinstance(value, float):
        return ValueDomain(K.FLOAT)
    if isinstance(value, list):
        return ValueDomain(K.ARRAY)
    if isinstance(value, dict):
        return ValueDomain(K.JSON)
    return ValueDomain(K.TEXT)


def _number_text(text: str, column: ValueDomain, acceptance: Acceptance) -> str | None:
    if not text.isascii():
        return f"{text!r} is not a number written in ASCII digits"
    if column.kind is K.INTEGER and not _WHOLE.fullmatch(text):
        # Integer columns read digits only: PostgreSQL refuses "1.0" and "1e3".
        return f"{text!r} is not a whole number written in digits"
    try:
        number = Decimal(text)
    except InvalidOperation:
        return f"{text!r} is not a number"
    if not number.is_finite():
        return f"{text!r} is not a finite number"
    if column.kind is K.FLOAT:
        return None
    return _number_problem(number, column)


_WHOLE = re.compile(r"[+-]?[0-9]+")


def _number_problem(number: Decimal, column: ValueDomain) -> str | None:
    if column.kind is K.INTEGER:
        if number != number.to_integral_value():
            return "the column takes whole numbers only"
        if (column.low is not None and number < column.low) or (
            column.high is not None and number > column.high
        ):
            return f"the column takes {_range(column)}"
        return None
    if column.kind is K.DECIMAL and column.precision is not None:
        scale = column.scale or 0
        whole = len(str(abs(int(number)))) if int(number) else 0
        if whole > column.precision - scale:
            return f"it has more than {column.precision - scale} digits before the point"
    return None


def _boolean_text(text: str, column: ValueDomain, acceptance: Acceptance) -> str | None:
    words = acceptance.boolean_text
    if not words or text.lower() in words:
        return None
    return f"this database's boolean columns read only {', '.join(sorted(words))}"


def _date_text(text: str, column: ValueDomain, acceptance: Acceptance) -> str | None:
    try:
        date.fromisoformat(text)
        return None
    except ValueError:
        return _timestamp_text(text, column, acceptance)


def _timestamp_text(text: str, column: ValueDomain, acceptance: Acceptance) -> str | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not an ISO-8601 date or datetime, like '2024-01-15 09:30:00'"
    if parsed.tzinfo is not None and not acceptance.zoned_text:
        return "this database reads no time zone in a date or time; give the UTC time without one"
    return None


_TEXT_READERS: dict[ValueKind, Callable[[str, ValueDomain, Acceptance], str | None]] = {
    K.INTEGER: _number_text,
    K.DECIMAL: _number_text,
    K.FLOAT: _number_text,
    K.BOOLEAN: _boolean_text,
    K.DATE: _date_text,
    K.TIMESTAMP: _timestamp_text,
}
"""How a fixed value given as text is read by a column the text of a model field never
goes into (text constants are how the SDKs send every fixed value)."""


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ value overrides


def _check_replacement(override: OverrideInput, field: ModelFieldInfo) -> None:
    """Refuse a replacement the engine cannot convert to its field's values."""
    replacement = override.override
    if replacement is None or isinstance(replacement, list | dict):
        return  # refused with its own message by `overrides`
    problem = _replacement_problem(replacement, field.values)
    if problem is not None:
        raise ValidationFailed(
            f"the replacement {replacement!r} cannot stand for values of model field "
            f"{field.name!r} ({_describe_source(field)}): {problem}",
            path=f"{override.path}.override",
        )


def _replacement_problem(value: Any, domain: ValueDomain) -> str | None:
    """Why the engine's conversion (`engine.values.to_scalar`) of `value` to the
    field's Arrow type would fail on every run, or None."""
    kind = domain.kind
    if kind is K.ARRAY:
        return "an array field cannot be replaced by a single value"
    if kind in _NUMBERS:
        if isinstance(value, bool):
            return "a boolean is not a number"
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return f"{value!r} is not a number"
        if not number.is_finite():
            return f"{value!r} is not a finite number"
    try:
        to_scalar(value, _arrow_type(domain))
    except ValueError as error:
        return str(error)
    return None


def _arrow_type(domain: ValueDomain) -> pa.DataType:
    """The Arrow type SQL sources read values of `domain` as (see `sql.types`)."""
    kind = domain.kind
    if kind is K.INTEGER:
        return pa.int64()
    if kind is K.DECIMAL and domain.precision is not None and domain.precision <= 38:
        return pa.decimal128(domain.precision, domain.scale or 0)
    if kind in (K.FLOAT, K.NUMBER, K.DECIMAL):
        return pa.float64()
    return {
        K.BOOLEAN: pa.bool_(),
        K.DATE: pa.date32(),
        K.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        K.BINARY: pa.binary(),
    }.get(kind, pa.string())
