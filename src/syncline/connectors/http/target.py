"""The `http` target side: one object, `http`, whose fields are whatever a sync maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncline.connectors.base import (
    ModeSupport,
    TargetCapabilities,
    TargetDescription,
    TargetObject,
)
from syncline.connectors.http.connection import HttpConnection
from syncline.connectors.http.target_config import check_configuration
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.connectors.writing import CommitMarking, WritePlan, Writer
from syncline.errors import ObjectNotFound

OBJECT_ID = "http"
OBJECT_NAME = "HTTP API"
MODES = (
    ModeSupport(SyncMode.CREATE, requires_identity=True),
    ModeSupport(SyncMode.UPDATE, requires_identity=True),
    ModeSupport(SyncMode.UPDATE_OR_CREATE, requires_identity=True),
    ModeSupport(SyncMode.REMOVE, requires_identity=True),
    ModeSupport(SyncMode.APPEND, requires_identity=False),
)
"""The modes and the events they send (`delivery.records.event_of`)."""

HTTP_TARGET_CAPABILITIES = TargetCapabilities(
    supports_field_creation=True,
    supports_identity_field_creation=True,
    open_fields=True,
)
"""Any field name may be mapped: the templates decide what the API is sent."""


class HttpTarget(HttpConnection):
    """The one object an `http` connection writes to."""

    def target_objects(self) -> list[TargetObject]:
        return [TargetObject(OBJECT_ID, OBJECT_NAME, MODES)]

    def describe_target(self, object_id: str) -> TargetDescription:
        """The `http` object: no fixed fields (`open_fields`). Raises `ObjectNotFound`."""
        if object_id != OBJECT_ID:
            raise ObjectNotFound(
                f"an http connection has one target object, {OBJECT_ID!r}, not {object_id!r}"
            )
        return TargetDescription(
            id=OBJECT_ID,
            name=OBJECT_NAME,
            fields=[],
            modes=MODES,
            properties=HTTP_TARGET_CAPABILITIES,
            commit_marking=CommitMarking.BATCH,
        )

    def check_target_configuration(
        self, object_id: str, configuration: Mapping[str, Any], fields: Mapping[str, FieldType]
    ) -> dict[str, Any]:
        """The requests per event and how answers are read, with defaults filled; every
        template tried on a sample record of `fields` (see `http.target_config`).
        Raises `ValidationFailed` at the offending key (`configuration.update.body`)."""
        self.describe_target(object_id)
        return check_configuration(configuration, fields)

    def open_writer(self, plan: WritePlan) -> Writer:
        """An `HttpWriter` for `plan`. Raises `ObjectNotFound`, and `ConnectorError` when
        the plan has no sync attached (`attach`)."""
        from syncline.connectors.http.writer import HttpWriter

        self.describe_target(plan.object_id)
        return HttpWriter(plan, self)
