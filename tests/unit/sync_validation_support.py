"""A hand-built model, target and request body for the sync validation tests."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from syncline.connectors.base import TargetCapabilities, TargetDescription, TargetField
from syncline.connectors.sql.modes import SQL_MODES, SQL_TARGET_CAPABILITIES
from syncline.connectors.vocabulary import FILTER_FUNCTIONS_BY_TYPE, FieldType, IdentityFunction
from syncline.errors import ValidationFailed
from syncline.services.syncs.config import SyncConfig, SyncWrite
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo, ValidationContext
from syncline.services.syncs.validation import validate_sync

MODEL_ID = "model-users"
OTHER_MODEL_ID = "model-orders"

MODEL = ModelInfo(
    id=MODEL_ID,
    name="Users",
    fields=(
        ModelFieldInfo("mf-id", "id", FieldType.NUMBER),
        ModelFieldInfo("mf-email", "email", FieldType.STRING),
        ModelFieldInfo("mf-name", "name", FieldType.STRING),
        ModelFieldInfo("mf-age", "age", FieldType.NUMBER),
        ModelFieldInfo("mf-signed-up", "signed_up", FieldType.DATETIME),
        ModelFieldInfo("mf-active", "active", FieldType.BOOLEAN),
        ModelFieldInfo("mf-tags", "tags", FieldType.ARRAY),
        ModelFieldInfo("mf-profile", "profile", FieldType.OBJECT),
        ModelFieldInfo("mf-avatar", "avatar", FieldType.BINARY),
        ModelFieldInfo("mf-misc", "misc", FieldType.UNKNOWN),
    ),
)
OTHER_MODEL = ModelInfo(
    id=OTHER_MODEL_ID,
    name="Orders",
    fields=(ModelFieldInfo("of-total", "total", FieldType.NUMBER),),
)


def _field(name: str, field_type: FieldType, **flags: Any) -> TargetField:
    flags.setdefault("filter_functions", FILTER_FUNCTIONS_BY_TYPE[field_type])
    return TargetField(id=name, name=name, type=field_type, remote_type=field_type.value, **flags)


TARGET = TargetDescription(
    id="public.users",
    name="public.users",
    fields=[
        _field("id", FieldType.NUMBER),
        _field(
            "email",
            FieldType.STRING,
            identity_functions=(IdentityFunction.EQUALITY, IdentityFunction.ISUBSTRING),
        ),
        _field("name", FieldType.STRING),
        _field("age", FieldType.NUMBER),
        _field("created_at", FieldType.DATETIME),
        _field("status", FieldType.STRING),
        _field("computed", FieldType.STRING, createable=False, updateable=False),
        _field("locked", FieldType.STRING, updateable=False),
        _field("payload", FieldType.OBJECT, supports_identity=False),
        _field("notes", FieldType.STRING, filterable=False),
    ],
    modes=SQL_MODES,
    properties=SQL_TARGET_CAPABILITIES,
)

CONTEXT = ValidationContext(
    models={MODEL_ID: MODEL, OTHER_MODEL_ID: OTHER_MODEL}, target=TARGET, target_exists=True
)


def with_properties(**changes: Any) -> ValidationContext:
    """The standard context with some target properties changed."""
    properties: TargetCapabilities = dataclasses.replace(TARGET.properties, **changes)
    return dataclasses.replace(CONTEXT, target=dataclasses.replace(TARGET, properties=properties))


def new_target_context() -> ValidationContext:
    """A target table that the sync would create: no fields yet."""
    target = dataclasses.replace(TARGET, id="public.new_users", name="public.new_users", fields=[])
    return dataclasses.replace(CONTEXT, target=target, target_exists=False)


def src(field: str, model_id: str = MODEL_ID) -> dict[str, str]:
    """A `Source` body."""
    return {"model_id": model_id, "field": field}


def body(**changes: Any) -> dict[str, Any]:
    """A valid updateOrCreate request, with top-level keys replaced by `changes`."""
    base: dict[str, Any] = {
        "name": "Users to Postgres",
        "mode": "updateOrCreate",
        "schedule": {"frequency": "manual"},
        "target": {"connection_id": "conn-1", "object": "public.users"},
        "fields": [{"source": src("name"), "target": "name"}],
        "identities": {
            "mappings": [{"source": src("email"), "target": "email", "function": "Equality"}]
        },
    }
    base.update(copy.deepcopy(changes))
    return base


def validate(request: dict[str, Any], context: ValidationContext = CONTEXT) -> SyncConfig:
    """Validate a request body."""
    return validate_sync(SyncWrite.model_validate(request), context)


def refused(
    request: dict[str, Any], path: str, message: str, context: ValidationContext = CONTEXT
) -> ValidationFailed:
    """Assert that validation fails at `path` with `message` in its text."""
    with pytest.raises(ValidationFailed) as caught:
        validate(request, context)
    assert caught.value.path == path, caught.value.message
    assert message in caught.value.message
    return caught.value
