"""Checking a sync's `target.configuration` with the target connector that reads it."""

from __future__ import annotations

from syncline.connectors.base import TargetConnector
from syncline.connectors.vocabulary import FieldType
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import SyncConfig
from syncline.services.syncs.context import ModelInfo


def check_target_configuration(
    connector: TargetConnector, config: SyncConfig, model: ModelInfo | None
) -> SyncConfig:
    """`config` with its target configuration as the connector normalized it.

    The connector sees the sync's target field names with the types of the
    model fields mapped into them (a fixed value counts as a string). Raises
    `ValidationFailed` with its path under `target.` (`target.configuration.insert.body`).
    """
    fields: dict[str, FieldType] = {}
    for mapping in config.fields:
        found = model.field(mapping.source.field) if model and mapping.source else None
        fields[mapping.target] = found.type if found is not None else FieldType.STRING
    for override in config.override_fields:
        fields.setdefault(override.target, FieldType.STRING)
    try:
        checked = connector.check_target_configuration(
            config.target.object or "", config.target.configuration or {}, fields
        )
    except ValidationFailed as exc:
        path = f"target.{exc.path}" if exc.path else "target.configuration"
        raise ValidationFailed(f"{path}: {exc.message}", path=path) from None
    target = config.target.model_copy(update={"configuration": checked or None})
    return config.model_copy(update={"target": target})
