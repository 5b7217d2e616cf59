"""What sync validation checks a configuration against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncline.connectors.base import TargetDescription
from syncline.connectors.compatibility import BY_FIELD_TYPE, FIELD_TYPE_OF, ValueDomain
from syncline.connectors.vocabulary import FieldType


@dataclass(frozen=True)
class ModelFieldInfo:
    """One field of a model: its stable id, name and normalized type.

    `domain` is what its source connector declares for its remote type, when
    it declares anything; `remote_type` is the type as the source names it.
    """

    id: str
    name: str
    type: FieldType
    remote_type: str = ""
    domain: ValueDomain | None = None

    @property
    def values(self) -> ValueDomain:
        """The values the field yields: its declared domain, or what its type implies.

        A domain that disagrees with the field type is not used: the source
        reads such a type differently (PostgreSQL's `money` as text).
        """
        domain = self.domain
        if domain is not None and FIELD_TYPE_OF[domain.kind] is self.type:
            return domain
        return ValueDomain(BY_FIELD_TYPE[self.type])


@dataclass(frozen=True)
class ModelInfo:
    """A model a sync may read."""

    id: str
    name: str
    fields: tuple[ModelFieldInfo, ...]

    def field(self, name: str) -> ModelFieldInfo | None:
        """The field with this name, or None."""
        return next((f for f in self.fields if f.name == name), None)

    def field_by_id(self, field_id: str) -> ModelFieldInfo | None:
        """The field with this id, or None."""
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True)
class ValidationContext:
    """Everything a configuration is validated against.

    `models` holds the organization's models a sync may reference, by id.
    `target` describes the target object, or the object a sync would create
    (`target_exists` False; its `fields` are then empty).
    """

    models: Mapping[str, ModelInfo]
    target: TargetDescription
    target_exists: bool
