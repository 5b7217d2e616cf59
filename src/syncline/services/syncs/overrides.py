"""Overrides: replace a model field's value where a condition on it holds."""

from __future__ import annotations

from collections.abc import Sequence

from syncline.connectors.vocabulary import FILTER_FUNCTIONS_BY_TYPE
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import Override, Source
from syncline.services.syncs.context import ModelInfo
from syncline.services.syncs.inputs import OverrideInput
from syncline.services.syncs.operands import check_operand, filter_function
from syncline.services.syncs.references import model_field


def check_overrides(overrides: Sequence[OverrideInput], model: ModelInfo) -> list[Override]:
    """The checked overrides, each naming its field by `Source` and by model field id.

    Without a function an override replaces every value, so it takes no
    condition operand. Raises `ValidationFailed` at the first override with
    no or an unknown field, a function unsuited to the field's type, an
    operand of the wrong shape, or a missing or non-scalar replacement.
    """
    checked = []
    for given in overrides:
        if given.field is None:
            raise ValidationFailed(
                "name the model field to override in field or field_id",
                path=f"{given.path}.field",
            )
        field = model_field(model, given.field)
        function = None
        if given.function is not None:
            function = filter_function(
                given.function,
                FILTER_FUNCTIONS_BY_TYPE[field.type],
                path=f"{given.path}.function",
                subject=f"model field {field.name!r} ({field.type.value})",
            )
            check_operand(function, given.value, field.type, f"{given.path}.value")
        elif given.value is not None:
            raise ValidationFailed(
                "value is the operand of a condition, so it needs a function; "
                "add a function or remove the value",
                path=f"{given.path}.value",
            )
        if given.override is None or isinstance(given.override, list | dict):
            raise ValidationFailed(
                "override must be the replacement value: a string, number or boolean",
                path=f"{given.path}.override",
            )
        checked.append(
            Override(
                field=Source(model_id=model.id, field=field.name),
                field_id=field.id,
                function=function.value if function is not None else None,
                value=given.value,
                override=given.override,
            )
        )
    return checked
