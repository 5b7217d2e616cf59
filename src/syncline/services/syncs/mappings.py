"""Field mappings and fixed values: what the sync writes into which target field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from syncline.connectors.base import ModeSupport, TargetField
from syncline.connectors.vocabulary import SyncMode
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import OverrideField, Source, SyncField
from syncline.services.syncs.context import ModelInfo, ValidationContext
from syncline.services.syncs.inputs import MappingInput
from syncline.services.syncs.messages import choices
from syncline.services.syncs.references import model_field, target_field

INSERTING_MODES = frozenset(
    {
        SyncMode.CREATE,
        SyncMode.UPDATE_OR_CREATE,
        SyncMode.REPLACE,
        SyncMode.APPEND,
        SyncMode.SNAPSHOT,
    }
)
"""Modes that insert records, so every mapped field must be createable."""

UPDATING_MODES = frozenset({SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE})
"""Modes that change existing records, so every mapped field must be updateable."""

DEFAULT_FIELD_MODE = "updateOrCreate"
FIELD_MODES = (DEFAULT_FIELD_MODE, "create")
"""Per-field sync modes: always write, or write only into a new record or an empty value."""


@dataclass(frozen=True)
class Mappings:
    """The checked mappings: model fields, fixed values, and the target fields to create."""

    fields: list[SyncField]
    override_fields: list[OverrideField]
    created_targets: frozenset[str]


def check_mappings(
    mappings: Sequence[MappingInput],
    model: ModelInfo,
    mode: ModeSupport,
    context: ValidationContext,
) -> Mappings:
    """Check every mapping and split them into model-field mappings and fixed values.

    A mapping with a source becomes a `SyncField`; one with only an
    `override_value` becomes an `OverrideField`. Raises `ValidationFailed` at
    the first mapping that names no value or two, an unknown model or target
    field, a target field the mode cannot write, a target field mapped twice,
    or a per-field sync mode the target's mode does not support; and at
    `fields` when nothing is mapped and the target requires mappings.
    """
    fields: list[SyncField] = []
    fixed: list[OverrideField] = []
    created: set[str] = set()
    mapped_at: dict[str, str] = {}
    for mapping in mappings:
        _check_value_given(mapping)
        source = model_field(model, mapping.source) if mapping.source is not None else None
        found = target_field(
            mapping.target,
            new=mapping.new,
            creatable=context.target.properties.supports_field_creation,
            context=context,
            path=f"{mapping.path}.target",
            new_path=f"{mapping.path}.new",
        )
        if found is None:
            created.add(mapping.target)
        else:
            _check_writable(found, mode.mode, f"{mapping.path}.target")
        if mapping.target in mapped_at:
            raise ValidationFailed(
                f"target field {mapping.target!r} is mapped twice (also at "
                f"{mapped_at[mapping.target]}); map each target field once",
                path=f"{mapping.path}.target",
            )
        mapped_at[mapping.target] = f"{mapping.path}.target"
        _check_field_mode(mapping, mode)
        if source is None:
            fixed.append(
                OverrideField(
                    target=mapping.target,
                    override_value=mapping.override_value,
                    sync_mode=mapping.sync_mode,
                    new=mapping.new,
                )
            )
        else:
            fields.append(
                SyncField(
                    target=mapping.target,
                    source=Source(model_id=model.id, field=source.name),
                    sync_mode=mapping.sync_mode,
                    new=mapping.new,
                    encryption_enabled=mapping.encryption_enabled,
                )
            )
    if not fields and not fixed and not _mappings_optional(mode, context):
        raise ValidationFailed(
            f"map at least one field: mode {mode.mode.value!r} of target "
            f"{context.target.name!r} writes mapped fields",
            path="fields",
        )
    return Mappings(fields, fixed, frozenset(created))


def _check_value_given(mapping: MappingInput) -> None:
    has_fixed = mapping.override_value is not None
    if mapping.source is not None and has_fixed:
        raise ValidationFailed(
            "give either a source or an override_value, not both", path=f"{mapping.path}.source"
        )
    if mapping.source is None and not has_fixed:
        # In `fields` the model field is the usual value; in `override_fields` the fixed one.
        missing = "source" if mapping.origin == "fields" else "override_value"
        raise ValidationFailed(
            f"target field {mapping.target!r} needs a value: map a model field (source) "
            "or give a fixed override_value",
            path=f"{mapping.path}.{missing}",
        )


def _check_writable(field: TargetField, mode: SyncMode, path: str) -> None:
    if mode in INSERTING_MODES and not field.createable:
        raise ValidationFailed(
            f"target field {field.id!r} cannot be written on new records, and mode "
            f"{mode.value!r} inserts records; remove this mapping",
            path=path,
        )
    if mode in UPDATING_MODES and not field.updateable:
        raise ValidationFailed(
            f"target field {field.id!r} cannot be updated, and mode {mode.value!r} "
            "updates records; remove this mapping",
            path=path,
        )


def _check_field_mode(mapping: MappingInput, mode: ModeSupport) -> None:
    value = mapping.sync_mode
    if value is None or value == DEFAULT_FIELD_MODE:
        return
    path = f"{mapping.path}.sync_mode"
    if value not in FIELD_MODES:
        raise ValidationFailed(
            f"sync_mode {value!r} is not a field sync mode; choose one of: {choices(FIELD_MODES)}",
            path=path,
        )
    if not mode.supports_per_field_mode:
        raise ValidationFailed(
            f"mode {mode.mode.value!r} does not support per-field sync modes; "
            f"remove sync_mode or set it to {DEFAULT_FIELD_MODE!r}",
            path=path,
        )


def _mappings_optional(mode: ModeSupport, context: ValidationContext) -> bool:
    # Remove only matches records by identity; it writes no field values.
    return mode.mode is SyncMode.REMOVE or context.target.properties.mappings_not_required
