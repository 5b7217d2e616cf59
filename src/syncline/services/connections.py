"""Connections: validate, encrypt, mask, test, and hand out connectors.

Secrets are split from the configuration before anything is stored: the
plain part goes to `connections.configuration`, the secret part is encrypted
into `connections.secrets` (secrets may sit at any depth of the
configuration; `connection_secrets` says how they are kept). Responses see
secrets only as `MASK`, at their place; sending `MASK` back in an update
keeps the stored value.

A stored secret follows its destination: a request may keep it (send `MASK`,
or leave it out where the request is merged over the stored configuration)
only while every field its type declares with `DestinationField` keeps its
value, and, inside a list, only while its item keeps its position and its
other values. Otherwise the stored secret would go wherever the request
points, so the request is refused (422) until it sends the secret again.
Every request that combines stored secrets with a configuration from the
caller goes through `connection_secrets.with_stored_secrets`.

Generated secrets (`GeneratedSecretField`) are the server's: made on create,
ignored when a caller sends them, kept across updates, and shown in full only
by the response of the request that made them (`SavedConnection`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncline.connectors.base import Connector, ConnectorConfig, ParameterValues
from syncline.connectors.calls import CallLimits
from syncline.connectors.registry import connector_class
from syncline.errors import InUse, NotFound, ValidationFailed
from syncline.services import connection_secrets
from syncline.services.auth import Principal
from syncline.services.connection_secrets import (
    split_secrets as split_secrets,  # part of this module's interface, as it always was
)
from syncline.services.connection_secrets import (
    stored_configuration,
    validate_configuration,
    with_generated,
    with_stored_secrets,
    without_generated,
)
from syncline.services.local_paths import LocalRoots
from syncline.services.sync_files import remove_sync_files
from syncline.settings import Settings
from syncline.store.connections import ConnectionRepository
from syncline.store.db import Store
from syncline.store.models import ModelRepository
from syncline.store.secrets import SecretBox
from syncline.store.syncs import SyncRepository
from syncline.store.tables import Connection


@dataclass(frozen=True)
class ConnectionInput:
    """What a create or update request asks for."""

    name: str
    configuration: dict[str, Any]
    type: str | None = None
    healthcheck_interval: str | None = None
    policies: list[str] | None = None
    validate: bool = True


@dataclass(frozen=True)
class SavedConnection:
    """A connection just created or updated, and its configuration as the response shows it."""

    connection: Connection
    configuration: dict[str, Any]
    """Secrets masked, except the generated secrets this request made: those are shown
    in full, this once."""


def call_limits(settings: Settings, cancelled: Callable[[], bool] | None = None) -> CallLimits:
    """The bounds of every call a connector makes: `SYNCLINE_STATEMENT_TIMEOUT`, and
    `cancelled` (a run's cancel request) when given."""
    timeout = settings.statement_timeout
    return CallLimits(
        timeout=timeout,
        cancelled=cancelled,
        remedy=f"if the database is only slow, raise SYNCLINE_STATEMENT_TIMEOUT "
        f"(now {timeout:g} s)",
    )


def connector_type(type_id: str, *, path: str = "type") -> type[Connector]:
    """The connector class for a type named in a request body (422 when unknown)."""
    try:
        return connector_class(type_id)
    except NotFound as exc:
        raise ValidationFailed(exc.message, path=path) from None


def parse_configuration(
    cls: type[Connector], raw: dict[str, Any], *, path: str = "configuration"
) -> ConnectorConfig:
    """Validate a raw configuration against a type's model (422 naming the field)."""
    return validate_configuration(cls.config_model, raw, path=path)


class ConnectionService:
    """Use cases on the connections of the caller's organization."""

    def __init__(
        self, store: Store, box: SecretBox, settings: Settings, principal: Principal
    ) -> None:
        self.store = store
        self.box = box
        self.settings = settings
        self.principal = principal
        self.roots = LocalRoots.from_settings(settings)

    def all(self) -> list[Connection]:
        """Every connection of the organization."""
        with self.store.session() as session:
            return self._repo(session).all()

    def get(self, connection_id: str) -> Connection:
        """One connection. Raises `NotFound`."""
        with self.store.session() as session:
            return self._repo(session).get(connection_id)

    def masked_configuration(self, connection: Connection) -> dict[str, Any]:
        """The configuration as responses show it: every set secret is `MASK` at its
        place (nested ones too), every empty one `""`; generated ones are masked too."""
        secrets = self.box.decrypt(connection.secrets)
        return connection_secrets.masked_configuration(connection.configuration, secrets)

    def create(self, request: ConnectionInput) -> SavedConnection:
        """Validate, optionally check, and store a new connection.

        Generated secrets are made here (whatever the request sends for them
        is ignored), and the returned configuration shows them in full: the
        create response is the only one that does. Raises `ValidationFailed`
        for an unknown type or a bad configuration and `ConnectionCheckFailed`
        when `validate` is set and the check fails.
        """
        cls = connector_type(request.type or "")
        model = cls.config_model
        raw, fresh = with_generated(model, without_generated(model, request.configuration), {})
        config, usable = self._configure(cls, raw)
        status = self._check(cls, usable, request.validate)
        plain, secrets = split_secrets(config)
        connection = Connection(
            name=request.name,
            type=cls.type_id,
            configuration=plain,
            secrets=self.box.encrypt(secrets),
            status=status,
            status_error="",
            healthcheck_interval=request.healthcheck_interval or "",
            policies=list(request.policies or []),
            created_by=self.principal.user_id,
            updated_by=self.principal.user_id,
        )
        with self.store.session() as session:
            saved = self._repo(session).add(connection)
        return SavedConnection(
            saved, connection_secrets.masked_configuration(plain, secrets, reveal=fresh)
        )

    def update(self, connection_id: str, request: ConnectionInput) -> SavedConnection:
        """Replace a connection's name and configuration (a full replacement).

        Secrets sent back as `MASK` at their place keep their stored value,
        unless a destination field changes, or, inside a list, the item at
        that index is another one (`ValidationFailed` naming the secret);
        omitted keys are cleared. Generated secrets are kept whatever the
        request sends, unless a destination field changes: they are sent
        there too, so they are then made anew (a new one, like one missing,
        is shown in the returned configuration this once). The type cannot
        change.
        """
        with self.store.session() as session:
            connection = self._repo(session).get(connection_id)
            if request.type and request.type != connection.type:
                raise ValidationFailed(
                    f"type: a connection's type cannot change (it is {connection.type!r})",
                    path="type",
                )
            cls = connector_class(connection.type)
            stored = self.box.decrypt(connection.secrets)
            raw = with_stored_secrets(
                cls.config_model,
                connection.configuration,
                stored,
                request.configuration,
                merge=False,
                path="configuration",
            )
            before = connection_secrets.stored_configuration(connection.configuration, stored)
            if connection_secrets.destination_changed(cls.config_model, before, raw):
                # A generated secret is sent to the destination too (a webhook's bearer
                # secret): one that goes somewhere new is made anew, never forwarded.
                stored = {
                    k: v
                    for k, v in stored.items()
                    if k not in cls.config_model.generated_secret_fields()
                }
            raw, fresh = with_generated(cls.config_model, raw, stored)
            config, usable = self._configure(cls, raw)
            status = self._check(cls, usable, request.validate)
            plain, secrets = split_secrets(config)
            connection.name = request.name
            connection.configuration = plain
            connection.secrets = self.box.encrypt(secrets)
            connection.status = status
            connection.status_error = ""
            if request.healthcheck_interval is not None:
                connection.healthcheck_interval = request.healthcheck_interval
            if request.policies is not None:
                connection.policies = list(request.policies)
            connection.updated_by = self.principal.user_id
            session.flush()
            shown = connection_secrets.masked_configuration(plain, secrets, reveal=fresh)
            return SavedConnection(connection, shown)

    def delete(self, connection_id: str, *, force: bool = False) -> None:
        """Delete a connection.

        Raises `NotFound`, and `InUse` naming the models and syncs that depend
        on it unless `force`, which deletes those dependents first.
        """
        with self.store.session() as session:
            repo = self._repo(session)
            connection = repo.get(connection_id)
            models, syncs = repo.dependents(connection_id)
            if (models or syncs) and not force:
                names = [f"model {m.name!r}" for m in models] + [f"sync {s.name!r}" for s in syncs]
                raise InUse(
                    f"connection in use by {', '.join(names)}; delete those first "
                    "or pass force=true to delete them with it",
                    metadata={
                        "model_ids": [m.id for m in models],
                        "sync_ids": [s.id for s in syncs],
                    },
                )
            sync_repo = SyncRepository(session, self.principal.organization_id)
            removed = {sync.id: sync_repo.delete(sync) for sync in syncs}
            model_repo = ModelRepository(session, self.principal.organization_id)
            for model in models:
                model_repo.delete(model)
            repo.delete(connection)
        for sync_id, executions in removed.items():
            remove_sync_files(self.settings.data_dir, sync_id, executions)

    def test(self, type_id: str, configuration: dict[str, Any], connection_id: str | None) -> None:
        """Check a configuration without storing anything.

        With `connection_id`, `configuration` is merged over the stored one;
        stored secrets are kept only while the destination is unchanged (see
        `update`). Generated secrets sent are ignored. Raises
        `ValidationFailed` (a changed destination, a moved list item, another
        type) and `ConnectionCheckFailed` with the system's own message.
        """
        raw = dict(configuration)
        if connection_id:
            connection = self.get(connection_id)
            if type_id and type_id != connection.type:
                raise ValidationFailed(
                    f"type: connection {connection.id} is a {connection.type!r} connection; "
                    "leave type out, or test the full configuration without connection_id",
                    path="type",
                )
            type_id = connection.type
            raw = with_stored_secrets(
                connector_class(type_id).config_model,
                connection.configuration,
                self.box.decrypt(connection.secrets),
                raw,
                merge=True,
                path="configuration",
            )
        cls = connector_type(type_id)
        if not connection_id:
            raw = without_generated(cls.config_model, raw)
        _, usable = self._configure(cls, raw)
        cls(usable).check()

    def connector(self, connection_id: str) -> Connector:
        """A connector for a stored connection, secrets decrypted. Raises `NotFound`."""
        connection = self.get(connection_id)
        cls = connector_class(connection.type)
        raw = stored_configuration(connection.configuration, self.box.decrypt(connection.secrets))
        # Stored connections are confined again: the roots may have changed
        # since they were saved.
        _, usable = self._configure(cls, raw)
        connector = cls(usable)
        connector.limit_calls(call_limits(self.settings))
        return connector

    def parameter_values(self, connection_id: str) -> dict[str, ParameterValues]:
        """Every listable parameter of a stored connection with its values."""
        connector = self.connector(connection_id)
        return {name: connector.parameter_values(name) for name in connector.parameter_fields}

    def type_parameter_values(
        self,
        type_id: str,
        field: str,
        *,
        connection_id: str | None,
        parameters: dict[str, Any],
        query: str | None,
    ) -> dict[str, ParameterValues]:
        """The values of one parameter for a configuration not necessarily saved.

        With `connection_id`, `parameters` are merged over that connection's
        configuration; stored secrets are kept only while the destination is
        unchanged (`ValidationFailed` otherwise, or for another type; see
        `update`). Generated secrets sent are ignored.
        """
        cls = connector_class(type_id)
        raw = without_generated(cls.config_model, parameters)
        if connection_id:
            connection = self.get(connection_id)
            if connection.type != cls.type_id:
                raise ValidationFailed(
                    f"connection_id: connection {connection.id} is a {connection.type!r} "
                    f"connection, not {cls.type_id!r}",
                    path="connection_id",
                )
            raw = with_stored_secrets(
                cls.config_model,
                connection.configuration,
                self.box.decrypt(connection.secrets),
                raw,
                merge=True,
                path="parameters",
            )
        _, usable = self._configure(cls, raw, path="parameters")
        return {field: cls(usable).parameter_values(field, query)}

    def _configure(
        self, cls: type[Connector], raw: dict[str, Any], *, path: str = "configuration"
    ) -> tuple[ConnectorConfig, ConnectorConfig]:
        """A raw configuration validated: as given (to store) and as a connector may use it
        (local paths confined to the roots and resolved). Raises `ValidationFailed`."""
        config = parse_configuration(cls, raw, path=path)
        return config, self.roots.confined(config, prefix=path)

    def _check(self, cls: type[Connector], config: ConnectorConfig, validate: bool) -> str:
        if not validate:
            return "unknown"
        cls(config).check()
        return "healthy"

    def _repo(self, session: Any) -> ConnectionRepository:
        return ConnectionRepository(session, self.principal.organization_id)
