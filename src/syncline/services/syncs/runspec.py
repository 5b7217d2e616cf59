"""Turning a stored sync configuration into the engine's `RunSpec`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syncline.connectors.filter_logic import KEYWORDS
from syncline.connectors.vocabulary import FilterFunction, IdentityFunction, SyncMode
from syncline.connectors.writing import TargetCondition, TargetFilter
from syncline.engine.spec import (
    Condition,
    FieldMapping,
    IdentityPair,
    RowFilter,
    RunOptions,
    RunSpec,
    StateCheck,
    ValueOverride,
)
from syncline.services.syncs.config import SyncConfig
from syncline.services.syncs.labels import next_free_label
from syncline.store.tables import utcnow

CREATE_ONLY = "create"


def state_dir(data_dir: Path, sync_id: str) -> Path:
    """Where a sync's confirmed state lives."""
    return data_dir / "state" / sync_id


def run_spec(
    config: SyncConfig,
    *,
    sync_id: str,
    execution_id: str,
    source_configuration: Mapping[str, Any],
    target_exists: bool,
    options: Mapping[str, Any],
    data_dir: Path,
    batch_size: int,
    retry_rejected: bool = True,
    tracking_columns: Sequence[str] = (),
    memory_mb: int = 128,
    state_check: StateCheck | None = None,
    model_name: str = "",
    source_connection: str = "",
    target_connection: str = "",
) -> RunSpec:
    """The engine's description of one run of a validated sync.

    With the `priority` identity strategy only the first mapping matches
    records; `and` matches on all of them.
    """
    identities = config.identities.mappings if config.identities else []
    if config.identities and config.identities.strategy != "and":
        identities = identities[:1]
    mappings = tuple(
        FieldMapping(
            target=f.target,
            source=f.source.field if f.source else None,
            constant=None if f.source else f.override_value,
            create_only=f.sync_mode == CREATE_ONLY,
            new=bool(f.new),
        )
        for f in config.fields
    ) + tuple(
        FieldMapping(
            target=o.target,
            constant=o.override_value,
            create_only=o.sync_mode == CREATE_ONLY,
            new=o.new,
        )
        for o in config.override_fields
    )
    identity_functions = [IdentityFunction(i.function) for i in identities]
    return RunSpec(
        sync_id=sync_id,
        execution_id=execution_id,
        mode=SyncMode(config.mode),
        source_configuration=dict(source_configuration),
        mappings=mappings,
        target_object=config.target.object or "",
        state_dir=state_dir(data_dir, sync_id),
        identity=tuple(IdentityPair(source=i.source.field, target=i.target) for i in identities),
        identity_function=identity_functions[0]
        if identity_functions
        else IdentityFunction.EQUALITY,
        create_target=None if target_exists else _creation(config),
        model_filter=_row_filter(config),
        target_filter=_target_filter(config),
        overrides=tuple(
            ValueOverride(
                field=o.field.field,
                replacement=o.override,
                function=FilterFunction(o.function) if o.function else None,
                value=o.value,
            )
            for o in config.overrides
            if o.field is not None
        ),
        options=RunOptions(
            resync=bool(options.get("resync")),
            sync_all_records=config.sync_all_records,
            skip_initial_backfill=config.skip_initial_backfill,
            only_identities=tuple(options["identities"]) if options.get("identities") else None,
            retry_rejected=retry_rejected,
        ),
        tracking_columns=tuple(tracking_columns),
        batch_size=batch_size,
        memory_limit=f"{memory_mb}MB",
        started_at=utcnow(),
        state_check=state_check,
        model_name=model_name,
        source_connection=source_connection,
        target_connection=target_connection,
        sync_name=config.name,
        target_configuration=dict(config.target.configuration or {}),
    )


def _creation(config: SyncConfig) -> dict[str, str]:
    properties = dict(config.target.create or {})
    if config.target.new_name:
        properties["name"] = config.target.new_name
    return properties


def _row_filter(config: SyncConfig) -> RowFilter | None:
    conditions = config.model_filters.conditions
    if not conditions:
        return None
    labels = _usable_labels([c.label or "" for c in conditions])
    return RowFilter(
        conditions={
            label: Condition(c.source.field, FilterFunction(c.function), c.value)
            for label, c in zip(labels, conditions, strict=True)
        },
        logic=config.model_filters.logic or "",
    )


def _target_filter(config: SyncConfig) -> TargetFilter | None:
    conditions = config.target_filters.conditions
    if not conditions:
        return None
    labels = _usable_labels([c.label or "" for c in conditions])
    return TargetFilter(
        conditions={
            label: TargetCondition(c.field, FilterFunction(c.function), c.value)
            for label, c in zip(labels, conditions, strict=True)
        },
        logic=config.target_filters.logic or "",
    )


def _usable_labels(labels: Sequence[str]) -> list[str]:
    """`labels` with any operator word (`OR`, given to the 408th condition by Syncline
    before it passed over them) renamed to a free label. Such a filter's logic is
    empty: no logic can name an operator word."""
    taken = set(labels)
    usable = []
    for label in labels:
        if label.lower() in KEYWORDS:
            label = next_free_label(taken)
            taken.add(label)
        usable.append(label)
    return usable
