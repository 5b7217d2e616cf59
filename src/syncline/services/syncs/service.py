"""Use cases on model syncs: create, update, read, list, delete, activate.

A write is validated in full before anything is stored: the target is
described live from its connection, the models come from the store, and
`validate_sync` applies every rule. The store keeps the normalized
configuration (`SyncConfig`); the encryption passphrase is kept encrypted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from syncline.connectors.base import MASK, Connector, TargetConnector
from syncline.connectors.compatibility import ValueDomain
from syncline.connectors.registry import connector_class
from syncline.connectors.vocabulary import FieldType
from syncline.errors import BadRequest, NotFound, ValidationFailed
from syncline.services.connections import ConnectionService
from syncline.services.sync_files import remove_sync_files
from syncline.services.syncs.config import SyncConfig, SyncWrite
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo, ValidationContext
from syncline.services.syncs.schedule import ScheduleRules, upstreams_of, validate_schedule
from syncline.services.syncs.target import resolve_target
from syncline.services.syncs.target_configuration import check_target_configuration
from syncline.services.syncs.validation import validate_sync
from syncline.store.connections import ConnectionRepository
from syncline.store.models import ModelRepository
from syncline.store.syncs import REVISION_RETENTION, ListFilters, ListPosition, SyncRepository
from syncline.store.tables import Model, Sync, is_id, parse_utc, utcnow

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 50


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Problem:
    """A reference of a stored sync that no longer resolves (severity `error`: the
    sync cannot run), or values that may fail one by one, found when it was saved.

    The latter have no severity: the SDKs know `error` alone, and such a sync runs.
    """

    code: str
    message: str
    path: str
    severity: str | None = "error"


@dataclass(frozen=True)
class SyncView:
    """A stored sync with what a response needs beside its row."""

    row: Sync
    config: SyncConfig
    model_ids: list[str]
    models: dict[str, ModelInfo]
    has_passphrase: bool
    problems: list[Problem]


@dataclass(frozen=True)
class SyncPage:
    """One page of a listing and the token of the next, if any."""

    syncs: list[Sync]
    model_ids: dict[str, list[str]]
    next_page_token: str | None


def model_info(model: Model, source: type[Connector] | None = None) -> ModelInfo:
    """What sync validation needs of a stored model.

    `source` is the connector class of the model's connection: it declares
    the value domains of the fields' remote types. Fields a user added to
    the model are known by their field type alone.
    """

    def domain(field: dict[str, Any]) -> ValueDomain | None:
        if source is None or field.get("user_added"):
            return None
        return source.value_domain(str(field.get("remote_type") or ""))

    return ModelInfo(
        id=model.id,
        name=model.name,
        fields=tuple(
            ModelFieldInfo(
                id=str(f["id"]),
                name=str(f["name"]),
                type=FieldType(f["type"]),
                remote_type=str(f.get("remote_type") or ""),
                domain=domain(f),
            )
            for f in model.fields
        ),
    )


class SyncService:
    """Model syncs of the caller's organization."""

    def __init__(self, connections: ConnectionService) -> None:
        self.store = connections.store
        self.box = connections.box
        self.principal = connections.principal
        self.connections = connections

    # ------------------------------------------------------------ writes

    def create(self, write: SyncWrite) -> SyncView:
        """Validate and store a new sync. Raises `ValidationFailed` naming the bad value."""
        config = self._validate(write, sync_id=None)
        sync = Sync(created_by=self.principal.user_id)
        with self.store.session() as session:
            self._apply(sync, config, write.encryption_passphrase, stored_secret="")
            SyncRepository(session, self.principal.organization_id).save(sync, [config.model_id])
            return self._view(session, sync)

    def update(self, sync_id: str, write: SyncWrite) -> SyncView:
        """Replace a sync's whole configuration. Raises `NotFound`, `ValidationFailed`."""
        self.get(sync_id)
        config = self._validate(write, sync_id=sync_id)
        with self.store.session() as session:
            repo = SyncRepository(session, self.principal.organization_id)
            sync = repo.get(sync_id)
            stored = self.box.decrypt(sync.secrets).get("encryption_passphrase", "")
            self._apply(sync, config, write.encryption_passphrase, stored_secret=stored)
            repo.save(sync, [config.model_id])
            return self._view(session, sync)

    def activate(self, sync_id: str, active: bool) -> Sync:
        """Turn a sync's schedule on or off. A running execution is not stopped."""
        with self.store.session() as session:
            repo = SyncRepository(session, self.principal.organization_id)
            sync = repo.get(sync_id)
            if sync.active != active:
                sync.active = active
                sync.config = {**sync.config, "active": active}
                sync.updated_by = self.principal.user_id
                repo.save(sync, repo.model_ids(sync.id))
            return sync

    def delete(self, sync_id: str) -> None:
        """Delete a sync for good, with its executions, state and record logs.

        Raises `NotFound`. A run still going ends at its next batch boundary
        (its execution is gone) and removes what it wrote meanwhile.
        """
        with self.store.session() as session:
            repo = SyncRepository(session, self.principal.organization_id)
            executions = repo.delete(repo.get(sync_id))
        remove_sync_files(self.connections.settings.data_dir, sync_id, executions)

    def error_handling(self, sync_id: str) -> dict[str, Any]:
        """A sync's record-error handling settings."""
        return dict(self.get(sync_id).row.error_handling)

    def set_error_handling(self, sync_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Replace a sync's record-error handling settings. Raises `ValidationFailed`
        naming the first subscriber that is not an e-mail address (`subscribers[i]`)."""
        for index, email in enumerate(settings.get("subscribers") or []):
            if not isinstance(email, str) or not _EMAIL.match(email):
                raise ValidationFailed(
                    f"subscribers[{index}]: {email!r} is not an e-mail address",
                    path=f"subscribers[{index}]",
                )
        with self.store.session() as session:
            repo = SyncRepository(session, self.principal.organization_id)
            sync = repo.get(sync_id)
            sync.error_handling = settings
            repo.save(sync, repo.model_ids(sync.id))
            return dict(sync.error_handling)

    # ------------------------------------------------------------ reads

    def get(self, sync_id: str) -> SyncView:
        """One sync with its problems. Raises `NotFound`."""
        with self.store.session() as session:
            sync = SyncRepository(session, self.principal.organization_id).get(sync_id)
            return self._view(session, sync)

    def model_info(self, model_id: str) -> ModelInfo:
        """What sync validation knows of one model (its fields, types and value
        domains), for suggesting mappings. Raises `NotFound`."""
        with self.store.session() as session:
            model = ModelRepository(session, self.principal.organization_id).get(model_id)
            connection = ConnectionRepository(session, self.principal.organization_id).get(
                model.connection_id
            )
            return model_info(model, _connector_class(connection.type))

    def page(self, filters: ListFilters, page_token: str | None, limit: int | None) -> SyncPage:
        """One page of the listing, newest change first.

        `limit` is clamped to 1..50 (0, negative or None mean 50). The token
        is opaque to clients; a malformed or expired one answers 400.
        """
        size = DEFAULT_PAGE_SIZE if not limit or limit < 1 else min(limit, MAX_PAGE_SIZE)
        position = _decode_token(page_token) if page_token else ListPosition(snapshot=utcnow())
        with self.store.session() as session:
            repo = SyncRepository(session, self.principal.organization_id)
            rows = repo.page(position, filters, size + 1)
            more = len(rows) > size
            rows = rows[:size]
            token = None
            if more and rows:
                last, as_of = rows[-1]
                token = _encode_token(ListPosition(position.snapshot, as_of, last.id))
            syncs = [row for row, _ in rows]
            return SyncPage(syncs, {s.id: repo.model_ids(s.id) for s in syncs}, token)

    def listing(self, filters: ListFilters) -> list[SyncView]:
        """Every sync that passes `filters`, in full, most recently changed first."""
        with self.store.session() as session:
            syncs = SyncRepository(session, self.principal.organization_id).matching(filters)
            models = self._models(session)
            return [self._view(session, sync, models) for sync in syncs]

    # ------------------------------------------------------------ internals

    def _validate(self, write: SyncWrite, *, sync_id: str | None) -> SyncConfig:
        target, exists = resolve_target(self.connections, write.target)
        with self.store.session() as session:
            types = {
                c.id: c.type
                for c in ConnectionRepository(session, self.principal.organization_id).all()
            }
            models = {
                m.id: model_info(m, _connector_class(types.get(m.connection_id)))
                for m in ModelRepository(session, self.principal.organization_id).all()
            }
            repo = SyncRepository(session, self.principal.organization_id)
            rules = ScheduleRules(
                sync_exists=repo.exists,
                upstreams={s.id: upstreams_of(s.config.get("schedule") or {}) for s in repo.all()},
                sync_id=sync_id,
            )
            schedule = validate_schedule(write.schedule, rules)
        config = validate_sync(write, ValidationContext(models, target, exists))
        connector = self.connections.connector(config.target.connection_id)
        if isinstance(connector, TargetConnector):
            config = check_target_configuration(connector, config, models.get(config.model_id))
        return config.model_copy(update={"schedule": schedule})

    def _apply(
        self, sync: Sync, config: SyncConfig, passphrase: str | None, *, stored_secret: str
    ) -> None:
        sync.name = config.name
        sync.active = config.active
        sync.mode = config.mode
        sync.target_connection_id = config.target.connection_id
        sync.target_object = config.target.object
        sync.config = config.model_dump(mode="json")
        secret = stored_secret if passphrase == MASK else (passphrase or "")
        sync.secrets = self.box.encrypt({"encryption_passphrase": secret} if secret else {})
        sync.updated_by = self.principal.user_id

    def _models(self, session: Session) -> dict[str, ModelInfo]:
        repo = ModelRepository(session, self.principal.organization_id)
        return {m.id: model_info(m) for m in repo.all()}

    def _view(
        self, session: Session, sync: Sync, known: dict[str, ModelInfo] | None = None
    ) -> SyncView:
        config = SyncConfig.model_validate(sync.config)
        model_ids = SyncRepository(session, self.principal.organization_id).model_ids(sync.id)
        known = self._models(session) if known is None else known
        models = {model_id: known[model_id] for model_id in model_ids if model_id in known}
        return SyncView(
            row=sync,
            config=config,
            model_ids=model_ids,
            models=models,
            has_passphrase=bool(sync.secrets),
            problems=self._problems(session, config, models),
        )

    def _problems(
        self, session: Session, config: SyncConfig, models: dict[str, ModelInfo]
    ) -> list[Problem]:
        """References that no longer resolve, then what validation warned of when the
        sync was saved (no severity: the sync runs)."""
        problems: list[Problem] = []
        model = models.get(config.model_id)
        for index, mapping in enumerate(config.fields):
            if mapping.source is None:
                continue
            path = f"fields[{index}].source"
            if model is None:
                problems.append(
                    Problem("model_not_found", f"model {config.model_id} no longer exists", path)
                )
            elif model.field(mapping.source.field) is None:
                problems.append(
                    Problem(
                        "model_field_not_found",
                        f"field {mapping.source.field!r} no longer exists in model {model.name!r}",
                        f"{path}.field",
                    )
                )
        for index, identity in enumerate(config.identities.mappings if config.identities else []):
            if model is not None and model.field(identity.source.field) is None:
                problems.append(
                    Problem(
                        "model_field_not_found",
                        f"identity field {identity.source.field!r} no longer exists "
                        f"in model {model.name!r}",
                        f"identities.mappings[{index}].source.field",
                    )
                )
        problems.extend(Problem(w.code, w.message, w.path, severity=None) for w in config.warnings)
        return problems


def _connector_class(type_id: str | None) -> type[Connector] | None:
    """The connector class of a connection type, None for a type no longer known."""
    if type_id is None:
        return None
    try:
        return connector_class(type_id)
    except NotFound:
        return None


def _encode_token(position: ListPosition) -> str:
    payload = {
        "s": position.snapshot.isoformat(),
        "u": position.updated_at.isoformat() if position.updated_at else None,
        "i": position.sync_id,
    }
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_token(token: str) -> ListPosition:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not is_id(payload["i"]):
            raise ValueError("not a sync id")
        position = ListPosition(
            snapshot=parse_utc(payload["s"]),
            updated_at=parse_utc(payload["u"]),
            sync_id=payload["i"],
        )
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadRequest(
            "page_token is not one this server issued; start again without it",
            metadata={"path": "page_token"},
        ) from None
    if position.snapshot < utcnow() - REVISION_RETENTION:
        raise BadRequest(
            "page_token has expired; start the listing again", metadata={"path": "page_token"}
        )
    return position
