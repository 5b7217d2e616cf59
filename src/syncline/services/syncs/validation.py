"""Validating a sync request against its model and target: the single entry point.

The caller has already checked the schedule, resolved the target connection
and object into a `TargetDescription`, and loaded the organization's models;
everything here is a pure function of the request and that context.

Checks run in this order and stop at the first violation: mode, legacy
filter shapes, the one model, mappings, identities, model filters, target
filters, overrides, the names of fields to create, and whether the values
written fit their target fields (`values`). Every error is a
`ValidationFailed` whose `path` is the JSON path of the offending value in
the request body as sent; values that may fail one by one are kept as the
configuration's `warnings`, as is a mode that may write a batch twice
after a crash on this target (`exactly_once`).
"""

from __future__ import annotations

from syncline.connectors.base import ModeSupport, TargetDescription
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import SyncConfig, SyncWrite
from syncline.services.syncs.context import ValidationContext
from syncline.services.syncs.exactly_once import check_exactly_once
from syncline.services.syncs.filters import check_model_filters, check_target_filters
from syncline.services.syncs.identities import check_identities
from syncline.services.syncs.mappings import check_mappings
from syncline.services.syncs.messages import choices, did_you_mean
from syncline.services.syncs.names import check_created_names
from syncline.services.syncs.overrides import check_overrides
from syncline.services.syncs.references import resolve_model
from syncline.services.syncs.request import read_request
from syncline.services.syncs.values import check_values


def validate_sync(write: SyncWrite, context: ValidationContext) -> SyncConfig:
    """The configuration to store for `write`, in the new shape with defaults filled in.

    Legacy spellings are read into the new shape (see `request`); filter
    conditions are all labelled; `target.object` is the described target's
    id and the deprecated `target.filter_logic` is folded into
    `target_filters.logic`. Raises `ValidationFailed` at the first violation.
    """
    mode = check_mode(write.mode, context.target)
    request = read_request(write)
    model = resolve_model(request.field_refs(), context.models)
    mappings = check_mappings(request.mappings, model, mode, context)
    identities = check_identities(
        request.identities, model, mode, context, mappings.created_targets
    )
    model_filters = check_model_filters(request.model_filters, model)
    target_filters = check_target_filters(request.target_filters, model, mode, context)
    overrides = check_overrides(request.overrides, model)
    check_created_names(request, context)
    warnings = check_values(request, model, context)
    warnings.extend(check_exactly_once(mode.mode, context.target))
    return SyncConfig(
        name=write.name,
        mode=mode.mode.value,
        active=bool(write.active),
        schedule=write.schedule,
        target=write.target.model_copy(update={"object": context.target.id, "filter_logic": None}),
        fields=mappings.fields,
        override_fields=mappings.override_fields,
        identities=identities,
        model_filters=model_filters,
        target_filters=target_filters,
        overrides=overrides,
        only_enrich_updates=bool(write.only_enrich_updates),
        skip_initial_backfill=bool(write.skip_initial_backfill),
        sync_all_records=bool(write.sync_all_records),
        policies=list(write.policies or []),
        model_id=model.id,
        warnings=warnings,
    )


def check_mode(name: str, target: TargetDescription) -> ModeSupport:
    """What `target` declares for the sync mode `name`.

    Raises `ValidationFailed` at `mode` when `name` is not a sync mode the
    target supports (unknown modes included), listing the modes it does support.
    """
    supported = [m.mode.value for m in target.modes]
    found = next((m for m in target.modes if m.mode.value == name), None)
    if found is None:
        raise ValidationFailed(
            f"mode {name!r} is not supported by target {target.name}; "
            f"supported: {choices(supported)}{did_you_mean(name, supported)}",
            path="mode",
        )
    return found
