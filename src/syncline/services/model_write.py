"""What a model create, update or preview asks for, and the fields it makes.

`ModelWrite` is the request body (Polytomic's `ModelWrite`). Enumerated and
cross-referencing values are plain strings here, checked by the functions
below, so that a refusal names the offending path (`fields[2]`,
`additional_fields[0].type`) instead of pydantic reporting a mismatch.

A stored field is a plain dict (the `models.fields` JSON column):
`{id, name, label, type, remote_type, description, example, unique,
user_added, created_at}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from syncline.connectors.base import Field as SourceField
from syncline.connectors.vocabulary import FieldType
from syncline.errors import ValidationFailed
from syncline.services.nul_free import NulFreeModel
from syncline.store.tables import new_id

USER_FIELD_TYPES: dict[str, FieldType] = {
    "binary": FieldType.BINARY,
    "boolean": FieldType.BOOLEAN,
    "date": FieldType.DATETIME,
    "datetime": FieldType.DATETIME,
    "datetime_tz": FieldType.DATETIME,
    # A time of day is no point in time; SQL sources report it as text too.
    "time": FieldType.STRING,
    "number": FieldType.NUMBER,
    "string": FieldType.STRING,
    "smallint": FieldType.NUMBER,
    "int": FieldType.NUMBER,
    "bigint": FieldType.NUMBER,
    "single": FieldType.NUMBER,
    "double": FieldType.NUMBER,
}
"""Polytomic's user-field definitions (`TypesDefinition`) and the field type each makes."""


class _Lenient(NulFreeModel):
    """Unknown keys are ignored: SDKs send extra ones."""

    model_config = ConfigDict(extra="ignore")


class AdditionalField(_Lenient):
    """A field the user declares that discovery does not report."""

    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    type: str
    example: Any = None


class RelationTo(_Lenient):
    """The field of another model a relation points at."""

    model_id: str
    field: str


class Relation(_Lenient):
    """A field of this model that refers to a field of another model."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: RelationTo


class ModelWrite(_Lenient):
    """The body of create, update (a full replacement) and preview.

    An explicit `null` means "unset" everywhere. `refresh` (update only) is
    accepted and has no effect: fields are discovered afresh on every write.
    """

    name: str = Field(min_length=1, max_length=255)
    connection_id: str = Field(min_length=1)
    configuration: dict[str, Any]
    fields: list[str] | None = None
    additional_fields: list[AdditionalField] | None = None
    identifier: str | None = None
    tracking_columns: list[str] | None = None
    labels: list[str] | None = None
    relations: list[Relation] | None = None
    enricher: dict[str, Any] | None = None
    organization_id: str | None = None
    policies: list[str] | None = None
    refresh: bool | None = None


def check_request(write: ModelWrite, organization_id: str) -> None:
    """Refuse what Syncline does not offer, before anything remote is asked.

    Raises `ValidationFailed` for an enricher (no connector enriches yet) and
    for an `organization_id` other than the caller's.
    """
    if write.enricher:
        raise ValidationFailed(
            "enricher: enrichment is not supported; send null or leave it out", path="enricher"
        )
    if write.organization_id and write.organization_id != organization_id:
        raise ValidationFailed(
            "organization_id: a model is created in the caller's organization "
            f"({organization_id}); leave organization_id out",
            path="organization_id",
        )


def build_fields(
    write: ModelWrite,
    discovered: Sequence[SourceField],
    previous: Sequence[dict[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """The stored fields of a model: the chosen discovered fields, then the added ones.

    Discovered fields keep the source's order. A field whose name was in
    `previous` keeps its `id` and `created_at`, so syncs mapping it by id
    survive an update; a new name gets a new id. Raises `ValidationFailed`
    naming `fields[i]` or `additional_fields[i].name|type`.
    """
    names = [f.name for f in discovered]
    chosen = _chosen(write.fields or [], names)
    before = {f["name"]: f for f in previous}
    stamp = now.isoformat()

    def stored(name: str, **values: Any) -> dict[str, Any]:
        kept = before.get(name, {})
        return {
            "id": kept.get("id") or new_id(),
            "name": name,
            **values,
            "created_at": kept.get("created_at") or stamp,
        }

    fields = [
        stored(
            f.name,
            label=f.name,
            type=f.type.value,
            remote_type=f.remote_type,
            description=f.description,
            example=None,
            unique=f.unique,
            user_added=False,
        )
        for f in discovered
        if chosen is None or f.name in chosen
    ]
    taken = set(names)
    for i, extra in enumerate(write.additional_fields or []):
        path = f"additional_fields[{i}]"
        if extra.name in taken:
            raise ValidationFailed(
                f"{path}.name: the model already has a field named {extra.name!r}",
                path=f"{path}.name",
            )
        if extra.type not in USER_FIELD_TYPES:
            raise ValidationFailed(
                f"{path}.type: {extra.type!r} is not a field type; use one of: "
                + ", ".join(USER_FIELD_TYPES),
                path=f"{path}.type",
            )
        taken.add(extra.name)
        fields.append(
            stored(
                extra.name,
                label=extra.label,
                type=USER_FIELD_TYPES[extra.type].value,
                remote_type=extra.type,
                description="",
                example=extra.example,
                unique=False,
                user_added=True,
            )
        )
    return fields


def check_references(write: ModelWrite, fields: Sequence[dict[str, Any]]) -> None:
    """The identifier, tracking columns and relation sources must be fields of the model.

    Raises `ValidationFailed` naming `identifier`, `tracking_columns[i]` or
    `relations[i].from`.
    """
    names = {f["name"] for f in fields}
    if write.identifier and write.identifier not in names:
        raise ValidationFailed(
            f"identifier: {write.identifier!r} is not a field of the model", path="identifier"
        )
    for i, column in enumerate(write.tracking_columns or []):
        if column not in names:
            raise ValidationFailed(
                f"tracking_columns[{i}]: {column!r} is not a field of the model",
                path=f"tracking_columns[{i}]",
            )
    for i, relation in enumerate(write.relations or []):
        if relation.from_ not in names:
            raise ValidationFailed(
                f"relations[{i}].from: {relation.from_!r} is not a field of the model",
                path=f"relations[{i}].from",
            )


def _chosen(requested: Sequence[str], available: Sequence[str]) -> set[str] | None:
    """The requested subset of source fields; None (all of them) when none is requested."""
    if not requested:
        return None
    seen: set[str] = set()
    for i, name in enumerate(requested):
        if name not in available:
            raise ValidationFailed(
                f"fields[{i}]: {name!r} is not a field of the source; its fields are: "
                + ", ".join(available),
                path=f"fields[{i}]",
            )
        if name in seen:
            raise ValidationFailed(f"fields[{i}]: {name!r} is listed twice", path=f"fields[{i}]")
        seen.add(name)
    return seen
