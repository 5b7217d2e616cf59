"""Taking a `SyncWrite` apart into located inputs, legacy spellings included.

Which spelling wins when a request has both:
- `identities` over the deprecated `identity` (the latter is ignored then);
- `model_filters`/`target_filters` over `filters` + `filter_logic`, which are
  read only when both new objects are absent;
- `target_filters.logic` over the deprecated `target.filter_logic`, which is
  read only with new-style (or no) filters: legacy `filter_logic` already
  covers target conditions.
"""

from __future__ import annotations

from syncline.services.syncs.config import Override, OverrideFieldInput, SyncField, SyncWrite
from syncline.services.syncs.inputs import (
    FieldRef,
    FilterInput,
    IdentitiesInput,
    IdentityInput,
    MappingInput,
    ModelConditionInput,
    OverrideInput,
    SyncInput,
    TargetConditionInput,
    model_field_ref,
)
from syncline.services.syncs.legacy import split_legacy_filters


def read_request(write: SyncWrite) -> SyncInput:
    """The located inputs of `write`.

    Raises `ValidationFailed` only for legacy filters that cannot be read
    (see `split_legacy_filters`); everything else is checked later.
    """
    if uses_legacy_filters(write):
        model_filters, target_filters = split_legacy_filters(
            write.filters or [], write.filter_logic
        )
    else:
        model_filters, target_filters = _model_filters(write), _target_filters(write)
    return SyncInput(
        mappings=[
            *(_mapping(f"fields[{i}]", m) for i, m in enumerate(write.fields)),
            *(
                _mapping(f"override_fields[{i}]", m)
                for i, m in enumerate(write.override_fields or [])
            ),
        ],
        identities=_identities(write),
        model_filters=model_filters,
        target_filters=target_filters,
        overrides=[_override(f"overrides[{i}]", o) for i, o in enumerate(write.overrides or [])],
    )


def uses_legacy_filters(write: SyncWrite) -> bool:
    """Whether the request's filters are in the deprecated mixed shape."""
    new_style = write.model_filters is not None or write.target_filters is not None
    return not new_style and (write.filters is not None or write.filter_logic is not None)


def _mapping(path: str, given: SyncField | OverrideFieldInput) -> MappingInput:
    return MappingInput(
        path=path,
        origin="fields" if isinstance(given, SyncField) else "override_fields",
        target=given.target,
        source=(
            FieldRef(f"{path}.source", source=given.source) if given.source is not None else None
        ),
        override_value=given.override_value,
        sync_mode=given.sync_mode,
        new=bool(given.new),
        encryption_enabled=given.encryption_enabled,
    )


def _override(path: str, given: Override) -> OverrideInput:
    ref = model_field_ref(path, given.field, given.field_id)
    return OverrideInput(path, ref, given.function, given.value, given.override)


def _identities(write: SyncWrite) -> IdentitiesInput | None:
    if write.identities is not None:
        return IdentitiesInput(
            mappings=[
                IdentityInput(f"identities.mappings[{i}]", m)
                for i, m in enumerate(write.identities.mappings)
            ],
            strategy=write.identities.strategy,
        )
    if write.identity is not None:
        return IdentitiesInput(mappings=[IdentityInput("identity", write.identity)], strategy=None)
    return None


def _model_filters(write: SyncWrite) -> FilterInput[ModelConditionInput]:
    given = write.model_filters
    conditions = given.conditions if given is not None else []
    return FilterInput(
        "model_filters",
        [
            ModelConditionInput(
                path=f"model_filters.conditions[{i}]",
                field=FieldRef(f"model_filters.conditions[{i}].source", source=c.source),
                function=c.function,
                value=c.value,
                label=c.label,
            )
            for i, c in enumerate(conditions)
        ],
        given.logic if given is not None else None,
        "model_filters.logic",
    )


def _target_filters(write: SyncWrite) -> FilterInput[TargetConditionInput]:
    given = write.target_filters
    conditions = given.conditions if given is not None else []
    logic, logic_path = (given.logic, "target_filters.logic") if given is not None else (None, "")
    if logic is None:
        logic, logic_path = write.target.filter_logic, "target.filter_logic"
    prefix = "target_filters.conditions"
    return FilterInput(
        "target_filters",
        [
            TargetConditionInput(
                path=f"{prefix}[{i}]",
                field=c.field,
                field_path=f"{prefix}[{i}].field",
                function=c.function,
                value=c.value,
                value_source=(
                    FieldRef(f"{prefix}[{i}].value_source", source=c.value_source)
                    if c.value_source is not None
                    else None
                ),
                label=c.label,
            )
            for i, c in enumerate(conditions)
        ],
        logic,
        logic_path,
    )
