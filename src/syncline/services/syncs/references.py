"""Resolving what a request names: its one model, model fields and target fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from syncline.connectors.base import TargetField
from syncline.errors import ValidationFailed
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo, ValidationContext
from syncline.services.syncs.inputs import FieldRef
from syncline.services.syncs.messages import did_you_mean


def resolve_model(refs: Iterable[FieldRef], models: Mapping[str, ModelInfo]) -> ModelInfo:
    """The one model that every reference in `refs` reads.

    A legacy field id belongs to the model that has a field with that id.
    Raises `ValidationFailed` at the reference for an unknown model or field
    id, or for a reference to a second model (a sync reads a single model;
    relations between models are not supported), and at `fields` when there
    is no reference at all.
    """
    chosen: ModelInfo | None = None
    chosen_path = ""
    for ref in refs:
        model = _model_of(ref, models, chosen)
        if chosen is None:
            chosen, chosen_path = model, ref.model_path
        elif model.id != chosen.id:
            raise ValidationFailed(
                f"this reads model {model.name!r} ({model.id}) but {chosen_path} reads model "
                f"{chosen.name!r} ({chosen.id}); a sync reads a single model, relations "
                "between models are not supported",
                path=ref.model_path,
            )
    if chosen is None:
        raise ValidationFailed(
            "map at least one model field: a sync needs a model to read", path="fields"
        )
    return chosen


def model_field(model: ModelInfo, ref: FieldRef) -> ModelFieldInfo:
    """The field of `model` that `ref` names. Raises `ValidationFailed` at the field's path."""
    if ref.source is None:
        found = model.field_by_id(ref.field_id or "")
        if found is None:
            raise ValidationFailed(
                f"model {model.name!r} has no field with id {ref.field_id!r}", path=ref.path
            )
        return found
    name = ref.source.field
    found = model.field(name)
    if found is None:
        hint = did_you_mean(name, (f.name for f in model.fields))
        raise ValidationFailed(
            f"field {name!r} not found in model {model.name!r}{hint}", path=ref.field_path
        )
    return found


def target_field(
    field_id: str,
    *,
    new: bool,
    creatable: bool,
    context: ValidationContext,
    path: str,
    new_path: str,
    how_to_create: str = "",
) -> TargetField | None:
    """The target field `field_id`, or None when it is to be created.

    A field marked new that already exists is treated as existing, so a
    configuration read back after its first run validates again. Raises
    `ValidationFailed` at `new_path` when creation is asked for but
    `creatable` is False, and at `path` for an unknown field that is not new
    (on a target not created yet, the message advises `how_to_create`,
    by default setting the flag at `new_path`). A target with open fields (an
    API's payload keys) takes any name, new or not.
    """
    found = _find_target_field(context, field_id)
    if found is not None:
        return found
    target = context.target
    flag = new_path.rsplit(".", 1)[-1]
    if new or target.properties.open_fields:
        if not creatable:
            raise ValidationFailed(
                f"target {target.name!r} cannot create field {field_id!r}; "
                f"map an existing field or unset {flag}",
                path=new_path,
            )
        return None
    if not context.target_exists:
        raise ValidationFailed(
            f"target {target.name!r} does not exist yet, so field {field_id!r} must be "
            f"created: {how_to_create or f'set {flag} to true'}",
            path=path,
        )
    raise _target_field_not_found(context, field_id, path)


def existing_target_field(field_id: str, context: ValidationContext, path: str) -> TargetField:
    """The target field `field_id`, which must exist. Raises `ValidationFailed` at `path`."""
    found = _find_target_field(context, field_id)
    if found is None:
        raise _target_field_not_found(context, field_id, path)
    return found


def _find_target_field(context: ValidationContext, field_id: str) -> TargetField | None:
    return next((f for f in context.target.fields if f.id == field_id), None)


def _target_field_not_found(
    context: ValidationContext, field_id: str, path: str
) -> ValidationFailed:
    target = context.target
    hint = did_you_mean(field_id, (f.id for f in target.fields))
    return ValidationFailed(
        f"field {field_id!r} not found in target {target.name!r}{hint}", path=path
    )


def _model_of(
    ref: FieldRef, models: Mapping[str, ModelInfo], preferred: ModelInfo | None
) -> ModelInfo:
    if ref.source is not None:
        model = models.get(ref.source.model_id)
        if model is None:
            raise ValidationFailed(f"model {ref.source.model_id!r} not found", path=ref.model_path)
        return model
    field_id = ref.field_id or ""
    # Field ids are unique in practice; looking in the model already chosen first
    # keeps a (theoretical) clash from being reported as a second model.
    candidates = [preferred] if preferred is not None else []
    candidates.extend(models.values())
    owner = next((m for m in candidates if m.field_by_id(field_id) is not None), None)
    if owner is None:
        raise ValidationFailed(f"no model has a field with id {field_id!r}", path=ref.path)
    return owner
