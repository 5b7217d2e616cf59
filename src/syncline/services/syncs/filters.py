"""Model filters (which rows are synced) and target filters (which records may be touched)."""

from __future__ import annotations

from syncline.connectors.base import ModeSupport, TargetField
from syncline.connectors.vocabulary import (
    FILTER_FUNCTIONS,
    FILTER_FUNCTIONS_BY_TYPE,
    FilterFunction,
    ValueShape,
)
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import (
    ModelFilterCondition,
    ModelFilters,
    Source,
    TargetFilterCondition,
    TargetFilters,
)
from syncline.services.syncs.context import ModelInfo, ValidationContext
from syncline.services.syncs.inputs import (
    ConditionT,
    FilterInput,
    ModelConditionInput,
    TargetConditionInput,
)
from syncline.services.syncs.labels import assign_labels, check_logic
from syncline.services.syncs.messages import choices
from syncline.services.syncs.operands import check_operand, filter_function
from syncline.services.syncs.references import existing_target_field, model_field


def check_model_filters(
    filters: FilterInput[ModelConditionInput], model: ModelInfo
) -> ModelFilters:
    """The checked model filters, every condition labelled.

    Raises `ValidationFailed` for bad labels or logic, an unknown model
    field, a function that does not suit the field's type, or an operand of
    the wrong shape.
    """
    labels, logic = _labels_and_logic(filters)
    conditions = []
    for condition, label in zip(filters.conditions, labels, strict=True):
        field = model_field(model, condition.field)
        function = filter_function(
            condition.function,
            FILTER_FUNCTIONS_BY_TYPE[field.type],
            path=f"{condition.path}.function",
            subject=f"model field {field.name!r} ({field.type.value})",
        )
        check_operand(function, condition.value, field.type, f"{condition.path}.value")
        conditions.append(
            ModelFilterCondition(
                source=Source(model_id=model.id, field=field.name),
                function=function.value,
                value=condition.value,
                label=label,
            )
        )
    return ModelFilters(conditions=conditions, logic=logic)


def check_target_filters(
    filters: FilterInput[TargetConditionInput],
    model: ModelInfo,
    mode: ModeSupport,
    context: ValidationContext,
) -> TargetFilters:
    """The checked target filters, every condition labelled.

    Raises `ValidationFailed` at `filters.path` when the mode takes no target
    filters, else for bad labels or logic, or at the first condition naming
    an unknown or unfilterable target field, a function the field does not
    offer, an operand of the wrong shape, or a `value_source` the target
    cannot use.
    """
    if filters.conditions and not mode.supports_target_filters:
        able = [m.mode.value for m in context.target.modes if m.supports_target_filters]
        raise ValidationFailed(
            f"mode {mode.mode.value!r} of target {context.target.name!r} does not take "
            f"target filters; modes that do: {choices(able)}",
            path=filters.path,
        )
    labels, logic = _labels_and_logic(filters)
    conditions = []
    for condition, label in zip(filters.conditions, labels, strict=True):
        field = _filterable_field(condition, context)
        function = filter_function(
            condition.function,
            field.filter_functions,
            path=f"{condition.path}.function",
            subject=f"target field {field.id!r}",
        )
        value_source = _check_value_source(condition, function, model, context)
        if value_source is None:
            check_operand(function, condition.value, field.type, f"{condition.path}.value")
        conditions.append(
            TargetFilterCondition(
                field=field.id,
                function=function.value,
                value=condition.value,
                value_source=value_source,
                label=label,
            )
        )
    return TargetFilters(conditions=conditions, logic=logic)


def _labels_and_logic(filters: FilterInput[ConditionT]) -> tuple[list[str], str]:
    labels = assign_labels(
        [c.label for c in filters.conditions], [f"{c.path}.label" for c in filters.conditions]
    )
    node = check_logic(filters.logic, labels, filters.logic_path)
    # Empty logic is stored as "" (AND of all); otherwise the caller's own text is kept.
    return labels, filters.logic if node is not None and filters.logic is not None else ""


def _filterable_field(condition: TargetConditionInput, context: ValidationContext) -> TargetField:
    found = existing_target_field(condition.field, context, condition.field_path)
    if not found.filterable or not found.filter_functions:
        raise ValidationFailed(
            f"target field {found.id!r} cannot be filtered on; choose another field",
            path=condition.field_path,
        )
    return found


def _check_value_source(
    condition: TargetConditionInput,
    function: FilterFunction,
    model: ModelInfo,
    context: ValidationContext,
) -> Source | None:
    """The model field whose value each row compares with, if the condition names one."""
    ref = condition.value_source
    if ref is None:
        return None
    if not context.target.properties.supports_filter_value_fields:
        raise ValidationFailed(
            f"target {context.target.name!r} cannot compare with model field values; "
            "give a fixed value instead",
            path=ref.path,
        )
    if condition.value is not None:
        raise ValidationFailed(
            "give either a value or a model field to compare with, not both", path=ref.path
        )
    # A row supplies exactly one value, so only single-operand functions can use it.
    if FILTER_FUNCTIONS[function].shape is not ValueShape.SCALAR:
        raise ValidationFailed(
            f"filter function {function.value} does not compare with a single value, so it "
            "cannot take a model field",
            path=ref.path,
        )
    field = model_field(model, ref)
    return Source(model_id=model.id, field=field.name)
