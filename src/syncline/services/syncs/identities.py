"""Identities: the match keys that pair model rows with target records."""

from __future__ import annotations

from collections.abc import Set

from syncline.connectors.base import ModeSupport
from syncline.connectors.vocabulary import FieldType, IdentityFunction
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import Identities, Identity, Source
from syncline.services.syncs.context import ModelInfo, ValidationContext
from syncline.services.syncs.inputs import IdentitiesInput, IdentityInput
from syncline.services.syncs.messages import choices, did_you_mean
from syncline.services.syncs.references import model_field, target_field

STRATEGIES = ("priority", "and")
"""How several keys combine: the first that matches wins, or all must match."""

DEFAULT_STRATEGY = "priority"

UNMATCHABLE_TYPES = frozenset({FieldType.OBJECT, FieldType.ARRAY, FieldType.BINARY})
"""Model field types whose values cannot be compared as keys."""


def check_identities(
    given: IdentitiesInput | None,
    model: ModelInfo,
    mode: ModeSupport,
    context: ValidationContext,
    created_targets: Set[str],
) -> Identities | None:
    """The checked identities, or None when the request has no match keys.

    A key's target field must exist and support identities with the chosen
    function, unless it is to be created: by `new_field` where the target can
    create identity fields or the sync creates the target (and the target
    creates fields), or by a mapping marked `new` (`created_targets`).
    Raises `ValidationFailed` at `identities` when the mode needs a key and
    none is given, else at the first offending key or at `identities.strategy`.
    """
    mappings = given.mappings if given is not None else []
    if not mappings:
        if mode.requires_identity:
            raise ValidationFailed(
                f"mode {mode.mode.value!r} matches records, so it needs an identity: "
                "add a mapping to identities",
                path="identities",
            )
        return None
    checked = [_check_mapping(m, model, context, created_targets) for m in mappings]
    strategy = given.strategy if given is not None else None
    if len(mappings) > 1:
        if strategy is None:
            raise ValidationFailed(
                f"several identities need a strategy: one of {choices(STRATEGIES)}",
                path="identities.strategy",
            )
        if not context.target.properties.supports_multiple_identities:
            raise ValidationFailed(
                f"target {context.target.name!r} matches on a single identity; keep one mapping",
                path=mappings[1].path,
            )
    if strategy is not None and strategy not in STRATEGIES:
        raise ValidationFailed(
            f"identity strategy {strategy!r} is not one of {choices(STRATEGIES)}",
            path="identities.strategy",
        )
    return Identities(mappings=checked, strategy=strategy or DEFAULT_STRATEGY)


def _check_mapping(
    given: IdentityInput,
    model: ModelInfo,
    context: ValidationContext,
    created_targets: Set[str],
) -> Identity:
    identity = given.identity
    source = model_field(model, given.source)
    if source.type in UNMATCHABLE_TYPES:
        raise ValidationFailed(
            f"model field {source.name!r} is of type {source.type.value}, which cannot "
            "identify records; use a string, number, boolean or datetime field",
            path=given.source.field_path,
        )
    function = _identity_function(identity.function, f"{given.path}.function")
    creates = bool(identity.new_field) or identity.target in created_targets
    properties = context.target.properties
    found = target_field(
        identity.target,
        new=creates,
        creatable=(
            identity.target in created_targets
            or properties.supports_identity_field_creation
            # A target created by the sync gets a column for every key it matches on.
            or (not context.target_exists and properties.supports_field_creation)
        ),
        context=context,
        path=f"{given.path}.target",
        new_path=f"{given.path}.new_field",
        how_to_create=(
            "set new_field to true, or map it in fields with new set to true"
            if properties.supports_field_creation
            else "map it in fields with new set to true"
        ),
    )
    if found is not None:
        if not found.supports_identity:
            raise ValidationFailed(
                f"target field {found.id!r} cannot identify records; choose another field",
                path=f"{given.path}.target",
            )
        if function not in found.identity_functions:
            allowed = [f.value for f in found.identity_functions]
            raise ValidationFailed(
                f"target field {found.id!r} cannot match with {function.value!r}; "
                f"choose one of: {choices(allowed)}",
                path=f"{given.path}.function",
            )
    return Identity(
        source=Source(model_id=model.id, field=source.name),
        target=identity.target,
        function=function.value,
        new_field=identity.new_field,
        remote_field_type_id=identity.remote_field_type_id,
    )


def _identity_function(name: str, path: str) -> IdentityFunction:
    try:
        return IdentityFunction(name)
    except ValueError:
        known = [f.value for f in IdentityFunction]
        raise ValidationFailed(
            f"{name!r} is not an identity function{did_you_mean(name, known)}; "
            f"choose one of: {choices(known)}",
            path=path,
        ) from None
