"""The deprecated filter and identity shapes, read from requests and shown in responses.

Reading: each legacy filter is a model condition (`field_type` "Model", named
by a model field id or a `Source`) or a target condition (`field_type`
"Target", named by the target field id). Labels are checked and assigned
across the whole list first, so both halves keep the labels the caller's
logic uses. The logic is split when that changes nothing: when it mentions
one kind only, or when its top level is an AND whose every operand mentions
one kind. Any other mix (such as `A or B` over a model and a target
condition) has no equivalent in separate model and target filters and is
refused.

Showing (`legacy_views`): model and target labels are scoped per object, but
the legacy list shares one label space; a target label that a model
condition also uses is renamed to the first free sequence label (in the list
and in the logic) so the combined `filter_logic` means what the two objects
mean together. Reading these views back gives the same filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from syncline.connectors.filter_logic import (
    And,
    Label,
    Node,
    all_of,
    labels,
    parse_logic,
    rename,
    render,
)
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import (
    LegacyFilter,
    ModelFilterCondition,
    ModelFilters,
    SyncConfig,
    TargetFilterCondition,
    TargetFilters,
)
from syncline.services.syncs.context import ModelInfo
from syncline.services.syncs.inputs import (
    FieldRef,
    FilterInput,
    ModelConditionInput,
    TargetConditionInput,
    model_field_ref,
)
from syncline.services.syncs.labels import (
    assign_labels,
    check_logic,
    next_free_label,
    sequence_label,
)

LOGIC_PATH = "filter_logic"

_Kind = Literal["Model", "Target"]


def split_legacy_filters(
    filters: Sequence[LegacyFilter], logic: str | None
) -> tuple[FilterInput[ModelConditionInput], FilterInput[TargetConditionInput]]:
    """The model and target filters a legacy filter list and logic amount to.

    Raises `ValidationFailed` at `filters[i]...` for a filter that names no
    field or a bad kind or label, and at `filter_logic` for logic that is
    invalid or mixes model and target conditions in a way that cannot be split.
    """
    paths = [f"filters[{i}]" for i in range(len(filters))]
    assigned = assign_labels([f.label for f in filters], [f"{p}.label" for p in paths])
    model: list[ModelConditionInput] = []
    target: list[TargetConditionInput] = []
    for given, path, label in zip(filters, paths, assigned, strict=True):
        if _kind(given, path) == "Model":
            model.append(_model_condition(given, path, label))
        else:
            target.append(_target_condition(given, path, label))
    node = check_logic(logic, assigned, LOGIC_PATH)
    model_logic, target_logic = _split_logic(node, logic or "", {c.label for c in model if c.label})
    # Target filters are refused as a whole on some modes; name where the first one is.
    target_path = f"{target[0].path}.field_type" if target else "filters"
    return (
        FilterInput("filters", model, model_logic, LOGIC_PATH),
        FilterInput(target_path, target, target_logic, LOGIC_PATH),
    )


def _kind(given: LegacyFilter, path: str) -> _Kind:
    if given.field_type is None:
        if given.field is not None:
            return "Model"
        if given.field_id:
            raise ValidationFailed(
                "field_type is required when only field_id is given: 'Model' for a model "
                "field id, 'Target' for a target field",
                path=f"{path}.field_type",
            )
        raise ValidationFailed(
            "name the field to filter on: field (a model field), or field_id with field_type",
            path=f"{path}.field",
        )
    kind = given.field_type.lower()
    if kind not in ("model", "target"):
        raise ValidationFailed(
            f"field_type {given.field_type!r} is not one of: Model, Target",
            path=f"{path}.field_type",
        )
    return "Model" if kind == "model" else "Target"


def _model_condition(given: LegacyFilter, path: str, label: str) -> ModelConditionInput:
    if given.value_field is not None:
        raise ValidationFailed(
            "value_field compares with a model field and applies to target filters only",
            path=f"{path}.value_field",
        )
    ref = model_field_ref(path, given.field, given.field_id)
    if ref is None:
        raise ValidationFailed(
            "name the model field in field_id (a model field id) or field",
            path=f"{path}.field",
        )
    return ModelConditionInput(path, ref, given.function, given.value, label)


def _target_condition(given: LegacyFilter, path: str, label: str) -> TargetConditionInput:
    if not given.field_id:
        raise ValidationFailed(
            "a target filter names the target field in field_id", path=f"{path}.field_id"
        )
    value_source = (
        FieldRef(f"{path}.value_field", source=given.value_field)
        if given.value_field is not None
        else None
    )
    return TargetConditionInput(
        path=path,
        field=given.field_id,
        field_path=f"{path}.field_id",
        function=given.function,
        value=given.value,
        value_source=value_source,
        label=label,
    )


def _split_logic(node: Node | None, text: str, model_labels: set[str]) -> tuple[str, str]:
    if node is None:
        return "", ""
    used = labels(node)
    if all(label in model_labels for label in used):
        return text, ""
    if not any(label in model_labels for label in used):
        return "", text
    operands = node.operands if isinstance(node, And) else (node,)
    model_parts: list[Node] = []
    target_parts: list[Node] = []
    for operand in operands:
        kinds = {label in model_labels for label in labels(operand)}
        if len(kinds) > 1:
            raise ValidationFailed(
                f"filter_logic {text!r} combines model and target filters in a way that "
                "cannot be split: only an 'and' of parts that each use one kind can be; "
                "use model_filters and target_filters instead",
                path=LOGIC_PATH,
            )
        (model_parts if kinds == {True} else target_parts).append(operand)
    return render(all_of(model_parts)), render(all_of(target_parts))


def legacy_views(config: SyncConfig, models: Mapping[str, ModelInfo]) -> dict[str, Any]:
    """`identity`, `filters` and `filter_logic` as a legacy client reads them.

    `config` must come from `validate_sync` (its logic parses). `models` is
    used to report each model condition's model field id when the field still
    exists; otherwise `field_id` is None.
    """
    identity = None
    if config.identities is not None and config.identities.mappings:
        identity = config.identities.mappings[0].model_dump()
    model_labels = _labels(config.model_filters.conditions)
    target_labels = _labels(config.target_filters.conditions)
    names = _target_renames(model_labels, target_labels)
    filters = [
        {
            "field_type": "Model",
            "field": condition.source.model_dump(),
            "field_id": _model_field_id(models, condition.source.model_id, condition.source.field),
            "function": condition.function,
            "value": condition.value,
            "value_field": None,
            "label": label,
        }
        for condition, label in zip(config.model_filters.conditions, model_labels, strict=True)
    ]
    filters.extend(
        {
            "field_type": "Target",
            "field": None,
            "field_id": condition.field,
            "function": condition.function,
            "value": condition.value,
            "value_field": (
                condition.value_source.model_dump() if condition.value_source else None
            ),
            "label": names.get(label, label),
        }
        for condition, label in zip(config.target_filters.conditions, target_labels, strict=True)
    )
    return {
        "identity": identity,
        "filters": filters,
        "filter_logic": _combined_logic(config.model_filters, config.target_filters, names),
    }


def _labels(conditions: Sequence[ModelFilterCondition | TargetFilterCondition]) -> list[str]:
    # Stored conditions are always labelled; the fallback mirrors how labels are assigned.
    return [c.label or sequence_label(i) for i, c in enumerate(conditions)]


def _target_renames(model_labels: Sequence[str], target_labels: Sequence[str]) -> dict[str, str]:
    taken = {*model_labels, *target_labels}
    names: dict[str, str] = {}
    for label in target_labels:
        if label in model_labels:
            names[label] = next_free_label(taken)
            taken.add(names[label])
    return names


def _combined_logic(model: ModelFilters, target: TargetFilters, names: Mapping[str, str]) -> str:
    if not target.conditions:
        return model.logic or ""
    if not model.conditions:
        # No model labels, so no target label was renamed.
        return target.logic or ""
    if not model.logic and not target.logic:
        return ""
    model_text = _text(model.logic, _labels(model.conditions), {})
    target_text = _text(target.logic, _labels(target.conditions), names)
    return f"({model_text}) and ({target_text})"


def _text(logic: str | None, known: Sequence[str], names: Mapping[str, str]) -> str:
    """One object's logic as text, empty logic spelled out as the AND of its labels."""
    if logic and not names:
        return logic
    tree = parse_logic(logic) if logic else all_of([Label(label) for label in known])
    return render(rename(tree, names))


def _model_field_id(models: Mapping[str, ModelInfo], model_id: str, name: str) -> str | None:
    model = models.get(model_id)
    field = model.field(name) if model is not None else None
    return field.id if field is not None else None
