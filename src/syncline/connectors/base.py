"""The connector contract.

A connector type is one package under `syncline.connectors` holding a
configuration model (`config.py`), a source side (`source.py`), a target side
(`target.py`) and its type mapping (`types.py`), joined into one `Connector`
subclass and registered by one line in `registry.py`.

A connector is constructed from a validated configuration and is cheap: it
opens nothing until a method needs the remote system. Heavy drivers are
imported inside the methods that use them.

Configurations, their secrets and the fields deciding where secrets go
are declared with the markers of `configuration` (re-exported here).

Errors: methods raise `syncline.errors.ConnectorError` subclasses whose message
is the remote system's own explanation, with secrets scrubbed
(`Connector.scrub`). Anything else escaping a connector is a bug.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from syncline.connectors.calls import CallLimits
from syncline.connectors.compatibility import ANY_NAME, Acceptance, NameRules, ValueDomain
from syncline.connectors.configuration import (
    DESTINATION_MARK,
    GENERATED_MARK,
    LOCAL_PATH_MARK,
    MASK,
    ConnectorConfig,
    DestinationField,
    GeneratedSecretField,
    LocalPathField,
    SecretField,
)
from syncline.connectors.delivery.shared import SharedState
from syncline.connectors.vocabulary import (
    FieldType,
    FilterFunction,
    IdentityFunction,
    SyncMode,
)
from syncline.connectors.writing import (
    CommitLedger,
    CommitMarking,
    SyncContext,
    TargetFilter,
    WritePlan,
    Writer,
)
from syncline.errors import BadRequest

__all__ = [
    "DESTINATION_MARK",
    "GENERATED_MARK",
    "LOCAL_PATH_MARK",
    "MASK",
    "ConnectorConfig",
    "DestinationField",
    "GeneratedSecretField",
    "LocalPathField",
    "SecretField",
]


@dataclass(frozen=True)
class Capabilities:
    """What a connector type can be used for (`ConnectionType.capabilities`)."""

    source: bool
    destination: bool
    enrichment: bool = False
    orchestration: bool = False
    logging: bool = False


@dataclass(frozen=True)
class Choice:
    """One value a caller may pick, with the label a person sees."""

    value: str
    label: str


@dataclass(frozen=True)
class ParameterValues:
    """Values for one configuration parameter (`ParamValues` on the wire)."""

    values: list[Choice]
    allows_creation: bool = False


# ---------------------------------------------------------------- source side


@dataclass(frozen=True)
class SourceItem:
    """One configuration item of a source and the choices for it.

    `choices` is empty when the item is free-form (a SQL query) or when its
    choices depend on another item not chosen yet; `requires_one_of` names
    the items one of which must be chosen first.
    """

    choices: list[Choice] = field(default_factory=list)
    requires_one_of: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConfigurationOption:
    """A configuration key of a model (`SourceMeta.configuration`)."""

    type: str
    choices: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class SourceDescription:
    """What a caller may choose to configure a model on this connection.

    `requires_one_of` lists the configuration keys exactly one of which makes
    a complete model configuration (for SQL: `table` or `query`).
    """

    items: dict[str, SourceItem | None]
    requires_one_of: list[str]
    configuration: dict[str, ConfigurationOption]


@dataclass(frozen=True)
class Field:
    """A typed field of a source (a column of a table, query or file)."""

    name: str
    type: FieldType
    remote_type: str
    arrow_type: pa.DataType
    nullable: bool = True
    unique: bool = False
    description: str = ""


# ---------------------------------------------------------------- target side


@dataclass(frozen=True)
class ModeSupport:
    """A sync mode a target object supports, and what the mode needs."""

    mode: SyncMode
    requires_identity: bool
    supports_per_field_mode: bool = False
    supports_target_filters: bool = False


@dataclass(frozen=True)
class TargetObject:
    """A table, file or other object a sync can write to."""

    id: str
    name: str
    modes: tuple[ModeSupport, ...]


@dataclass(frozen=True)
class TargetField:
    """A field of a target object and what may be done with it."""

    id: str
    name: str
    type: FieldType
    remote_type: str
    required: bool = False
    createable: bool = True
    updateable: bool = True
    filterable: bool = True
    supports_identity: bool = True
    identity_functions: tuple[IdentityFunction, ...] = (IdentityFunction.EQUALITY,)
    filter_functions: tuple[FilterFunction, ...] = ()
    description: str = ""
    domain: ValueDomain | None = None
    """The values the field holds, for checking what a sync maps into it
    (None: the connector declares nothing, and nothing is checked)."""


@dataclass(frozen=True)
class TargetCapabilities:
    """Destination-wide properties (`SyncDestinationProperties`)."""

    supports_field_creation: bool = False
    supports_target_filters: bool = False
    supports_multiple_identities: bool = False
    supports_identity_field_creation: bool = False
    supports_field_type_selection: bool = False
    supports_filter_value_fields: bool = False
    """Target filters may compare with a model field's value (`value_source`)."""
    target_creator: bool = False
    open_fields: bool = False
    """Any field name is a field of its objects (an API's payload keys): a mapping to
    a name it does not list needs no `new` flag."""
    mappings_not_required: bool = False
    new_target_label: str = ""
    primary_metadata_object: str = ""


@dataclass(frozen=True)
class TargetDescription:
    """One target object described in full, or a target not created yet."""

    id: str
    name: str
    fields: list[TargetField]
    modes: tuple[ModeSupport, ...]
    properties: TargetCapabilities
    acceptance: Acceptance = field(default_factory=Acceptance)
    """Which kinds of value its fields take (see `compatibility`)."""
    names: NameRules = ANY_NAME
    """What the names of fields (and objects) it would create may be."""
    commit_marking: CommitMarking = CommitMarking.NONE
    """How its writers record commit markers (see `writing.CommitMarking`); with
    `none`, a crash can make an append or snapshot send a batch twice."""
    marking_note: str = ""
    """Why it cannot mark commits, and what would let it, when `commit_marking` is `none`."""


@dataclass(frozen=True)
class CreationProperty:
    """An input needed to create a new target object (`TargetPropertyValues`)."""

    id: str
    title: str
    enum: bool


# ---------------------------------------------------------------- connectors


class Connector(ABC):
    """A configured connection to one external system.

    Subclasses set the class variables and implement `check`; they add the
    source side by also deriving from `SourceConnector`, the target side from
    `TargetConnector`.
    """

    type_id: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    config_model: ClassVar[type[ConnectorConfig]]
    parameter_fields: ClassVar[tuple[str, ...]] = ()
    """Configuration keys whose values can be listed (`parameter_values`)."""

    def __init__(self, config: ConnectorConfig) -> None:
        self.config = config
        self.call_limits = CallLimits()
        """What bounds this connector's calls to its system (`limit_calls`)."""
        self.shared_state: SharedState | None = None
        """Where this connection's rate budget is kept for every process (`share_state`)."""
        self.connection_key = ""

    def share_state(self, state: SharedState, connection_key: str) -> None:
        """Keep state shared by every process using this connection (an API's rate
        budget) in `state`, under `connection_key` (the connection's id).

        Types with nothing to share ignore it; without it, a type that has
        shares only within its process.
        """
        self.shared_state = state
        self.connection_key = connection_key

    def limit_calls(self, limits: CallLimits) -> None:
        """Bound every later call to the remote system by `limits` (see `connectors.calls`).

        Types whose calls cannot block for long (files, HTTP with its own
        timeouts) may ignore them.
        """
        self.call_limits = limits

    @classmethod
    def value_domain(cls, remote_type: str) -> ValueDomain | None:
        """The values a field of this type's `remote_type` holds (as its source
        describes fields); None when the type declares no domains."""
        return None

    @abstractmethod
    def check(self) -> None:
        """Connect and run a trivial command.

        Raises `ConnectionCheckFailed` with a message a person can act on,
        such as "password authentication failed for user x".
        """

    def parameter_values(self, parameter: str, query: str | None = None) -> ParameterValues:
        """List the values of one configuration parameter (for example the databases).

        `query` narrows the list to values containing it. Raises `BadRequest`
        naming the parameter when this type has no such list.
        """
        raise BadRequest(
            f"connection type {self.type_id!r} has no values for parameter {parameter!r}; "
            f"parameters with values: {', '.join(self.parameter_fields) or 'none'}",
            metadata={"path": "field"},
        )

    def scrub(self, message: str) -> str:
        """Remove every secret of this configuration, nested and generated ones included,
        from a message."""
        # Longest first: a secret containing another is replaced whole.
        for secret in sorted(set(self.config.secret_values()), key=len, reverse=True):
            message = message.replace(secret, MASK)
        return message


class SourceConnector(Connector):
    """The source side: describe what can be read, and read it as Arrow."""

    @abstractmethod
    def describe_source(self, params: Mapping[str, Sequence[str]]) -> SourceDescription:
        """Describe the configuration choices, refined by the choices in `params`.

        Raises `BadRequest` for unknown parameters and `ObjectNotFound` for a
        chosen value that does not exist.
        """

    @abstractmethod
    def source_fields(self, configuration: Mapping[str, Any]) -> list[Field]:
        """The typed fields a model with this source configuration exposes.

        For a SQL query the fields come from the database's description of
        the result, never from running the query over the full table. Raises
        `InvalidSourceConfiguration` or `ObjectNotFound`.
        """

    @abstractmethod
    def read(
        self,
        configuration: Mapping[str, Any],
        *,
        batch_size: int = 10_000,
        limit: int | None = None,
        where: TargetFilter | None = None,
    ) -> pa.RecordBatchReader:
        """Stream the rows of a source as Arrow record batches.

        The reader's schema is known before the first batch and matches
        `source_fields` (`Field.arrow_type`). Batches hold at most
        `batch_size` rows; `limit` is pushed down to the source. Memory is
        bounded by the batch size, never by the size of the source. Closing
        the reader releases the connection.

        `where` is a hint: a source may skip rows that fail it, and must never
        skip one that passes; callers apply their filter to what they read.
        """


class TargetConnector(Connector):
    """The target side: list and describe what can be written to."""

    target_capabilities: ClassVar[TargetCapabilities]
    sync_context: SyncContext | None = None
    """The sync this connector writes for, once the engine attached it (`attach`)."""

    def attach(self, context: SyncContext) -> None:
        """Write for the sync `context` describes: called by the engine before a run
        asks for commit markers or opens a writer. Types that need nothing of it
        ignore it."""
        self.sync_context = context

    def check_target_configuration(
        self, object_id: str, configuration: Mapping[str, Any], fields: Mapping[str, FieldType]
    ) -> dict[str, Any]:
        """The sync's `target.configuration` for `object_id`, validated against the
        model fields the sync maps (target field name to type), normalized as stored.

        Raises `ValidationFailed` whose `path` points inside the configuration
        (`configuration.insert.body`). Types that read no configuration keep
        it as sent.
        """
        return dict(configuration)

    @abstractmethod
    def target_objects(self) -> list[TargetObject]:
        """Every object a sync can write to, with the modes each supports."""

    @abstractmethod
    def describe_target(self, object_id: str) -> TargetDescription:
        """One target object's fields and modes. Raises `ObjectNotFound`."""

    @abstractmethod
    def open_writer(self, plan: WritePlan) -> Writer:
        """A writer applying `plan` to its target object (see `connectors.writing`).

        When `plan.create` is set, the object is created first. Raises
        `ObjectNotFound` for a missing object and `ConnectorError` when the
        target cannot be opened.
        """

    def commit_ledger(
        self, object_id: str, create: Mapping[str, str] | None = None
    ) -> CommitLedger | None:
        """The commit markers this connection's writers left for `object_id` (or the
        object `create` makes), or None when its writers never mark commits.

        Cheap: it connects only when asked what was committed.
        """
        return None

    def creation_properties(self) -> list[CreationProperty]:
        """The inputs needed to create a new target object; empty if unsupported."""
        return []

    def creation_property_values(self, property_id: str) -> list[Choice]:
        """The valid values of an enum creation property. Raises `ObjectNotFound`."""
        from syncline.errors import ObjectNotFound

        raise ObjectNotFound(
            f"connection type {self.type_id!r} has no target creation property {property_id!r}"
        )

    def describe_new_target(self, properties: Mapping[str, str]) -> TargetDescription:
        """Describe the object that creating a target with `properties` would make.

        Raises `BadRequest` when creation is unsupported, `ValidationFailed`
        naming the property when one is missing or invalid.
        """
        raise BadRequest(f"connection type {self.type_id!r} cannot create target objects")
