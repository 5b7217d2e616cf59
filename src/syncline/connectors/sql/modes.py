"""What every SQL table supports as a target, declared as data."""

from __future__ import annotations

from syncline.connectors.base import ModeSupport, TargetCapabilities
from syncline.connectors.vocabulary import SyncMode

SQL_MODES: tuple[ModeSupport, ...] = (
    ModeSupport(
        SyncMode.CREATE,
        requires_identity=True,
    ),
    ModeSupport(
        SyncMode.UPDATE,
        requires_identity=True,
        supports_per_field_mode=True,
        supports_target_filters=True,
    ),
    ModeSupport(
        SyncMode.UPDATE_OR_CREATE,
        requires_identity=True,
        supports_per_field_mode=True,
    ),
    ModeSupport(SyncMode.REPLACE, requires_identity=False),
    ModeSupport(SyncMode.APPEND, requires_identity=False),
    ModeSupport(
        SyncMode.REMOVE,
        requires_identity=True,
        supports_target_filters=True,
    ),
    ModeSupport(SyncMode.SNAPSHOT, requires_identity=False),
)
"""The modes of a SQL table, in the order they are presented."""

SQL_TARGET_CAPABILITIES = TargetCapabilities(
    supports_field_creation=True,
    supports_target_filters=True,
    supports_multiple_identities=True,
    target_creator=True,
    new_target_label="New table",
)
"""Destination-wide properties of every SQL connector."""
