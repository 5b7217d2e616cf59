"""A sync request taken apart into located pieces.

The request body has two spellings for several things (`identity` and
`identities`, `filters` and `model_filters`/`target_filters`, a mapping in
`fields` or in `override_fields`). Validation reads these records instead, so
each check is written once, and every record remembers where its parts were
in the request body, so an error names the path the caller actually sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from syncline.services.syncs.config import Identity, Source


@dataclass(frozen=True)
class FieldRef:
    """A reference to a model field: a `Source`, or (legacy) a model field id.

    `path` is where the reference is: the `Source` object (`fields[0].source`)
    or the field id value (`filters[2].field_id`).
    """

    path: str
    source: Source | None = None
    field_id: str | None = None

    @property
    def model_path(self) -> str:
        """Where the model of this reference is named."""
        return f"{self.path}.model_id" if self.source is not None else self.path

    @property
    def field_path(self) -> str:
        """Where the field of this reference is named."""
        return f"{self.path}.field" if self.source is not None else self.path


def model_field_ref(path: str, field: Source | None, field_id: str | None) -> FieldRef | None:
    """The reference an object at `path` makes with its `field` and `field_id` keys, if any.

    `field_id` wins over `field` when both are given (spec 3.1, legacy Filter);
    overrides name their field the same way.
    """
    if field_id:
        return FieldRef(f"{path}.field_id", field_id=field_id)
    if field is not None:
        return FieldRef(f"{path}.field", source=field)
    return None


@dataclass(frozen=True)
class MappingInput:
    """A value for a target field: a model field (`source`) or a fixed value.

    `path` is the mapping object (`fields[1]`, `override_fields[0]`); its
    attributes (`target`, `sync_mode`, `new`, `override_value`) sit below it
    under the same names in both lists. `origin` says which list it came from.
    """

    path: str
    origin: Literal["fields", "override_fields"]
    target: str
    source: FieldRef | None
    override_value: Any
    sync_mode: str | None
    new: bool
    encryption_enabled: bool | None


@dataclass(frozen=True)
class IdentityInput:
    """One match key; `path` is the `Identity` object (`identity`, `identities.mappings[0]`)."""

    path: str
    identity: Identity

    @property
    def source(self) -> FieldRef:
        """The model field this key reads."""
        return FieldRef(f"{self.path}.source", source=self.identity.source)


@dataclass(frozen=True)
class IdentitiesInput:
    """The match keys of the request and its strategy (None when not given)."""

    mappings: list[IdentityInput]
    strategy: str | None


@dataclass(frozen=True)
class ModelConditionInput:
    """A condition on model rows; `function`, `value` and `label` sit below `path`."""

    path: str
    field: FieldRef
    function: str
    value: Any
    label: str | None


@dataclass(frozen=True)
class TargetConditionInput:
    """A condition on target records; `field_path` is where the target field is named."""

    path: str
    field: str
    field_path: str
    function: str
    value: Any
    value_source: FieldRef | None
    label: str | None


ConditionT = TypeVar("ConditionT", ModelConditionInput, TargetConditionInput)


@dataclass(frozen=True)
class FilterInput(Generic[ConditionT]):
    """The conditions of one filter object and their logic.

    `path` is what to name when the object as a whole is refused (target
    filters on a mode without them); `logic_path` is where the logic came from.
    """

    path: str
    conditions: list[ConditionT]
    logic: str | None
    logic_path: str


@dataclass(frozen=True)
class OverrideInput:
    """A conditional replacement; `function`, `value` and `override` sit below `path`."""

    path: str
    field: FieldRef | None
    function: str | None
    value: Any
    override: Any


@dataclass(frozen=True)
class SyncInput:
    """Everything of a request that refers to the model or the target, located."""

    mappings: list[MappingInput]
    identities: IdentitiesInput | None
    model_filters: FilterInput[ModelConditionInput]
    target_filters: FilterInput[TargetConditionInput]
    overrides: list[OverrideInput]

    def field_refs(self) -> list[FieldRef]:
        """Every model field reference, in request order."""
        refs = [m.source for m in self.mappings if m.source is not None]
        if self.identities is not None:
            refs.extend(i.source for i in self.identities.mappings)
        refs.extend(c.field for c in self.model_filters.conditions)
        refs.extend(
            c.value_source for c in self.target_filters.conditions if c.value_source is not None
        )
        refs.extend(o.field for o in self.overrides if o.field is not None)
        return refs
