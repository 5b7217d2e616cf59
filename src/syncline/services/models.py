"""Models: validate a definition against its source, keep it, and sample it.

Fields are discovered from the source on every create, update and preview
(the connector describes a query without running it over its tables), so a
model always reflects what its source returns now. Remote calls happen
outside any metadata transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from syncline.connectors.base import SourceConnector
from syncline.errors import Conflict, NotFound, ValidationFailed
from syncline.services.connections import ConnectionService
from syncline.services.discovery import DiscoveryService
from syncline.services.model_write import (
    ModelWrite,
    build_fields,
    check_references,
    check_request,
)
from syncline.services.samples import Sample, read_sample
from syncline.store.connections import ConnectionRepository
from syncline.store.models import ModelRepository
from syncline.store.tables import Model, utcnow


@dataclass(frozen=True)
class ModelView:
    """A model and the type of its connection (the `type` of a model response)."""

    model: Model
    connection_type: str


@dataclass(frozen=True)
class Preview:
    """A model that was not saved, and sample records of it."""

    view: ModelView
    sample: Sample


@dataclass(frozen=True)
class _Definition:
    """A validated `ModelWrite`: everything a stored model takes from a request."""

    write: ModelWrite
    fields: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    source: SourceConnector

    def apply(self, model: Model) -> None:
        """Set every request-controlled column of `model` (a full replacement)."""
        model.name = self.write.name
        model.connection_id = self.write.connection_id
        model.configuration = dict(self.write.configuration)
        model.fields = self.fields
        model.identifier = self.write.identifier or None
        model.tracking_columns = list(self.write.tracking_columns or [])
        model.labels = list(self.write.labels or [])
        model.relations = self.relations
        model.policies = list(self.write.policies or [])


class ModelService:
    """Use cases on the models of the caller's organization."""

    def __init__(self, connections: ConnectionService) -> None:
        self.store = connections.store
        self.principal = connections.principal
        self.discovery = DiscoveryService(connections)

    def all(self) -> list[ModelView]:
        """Every model of the organization, oldest first."""
        with self.store.session() as session:
            types = {c.id: c.type for c in self._connections(session).all()}
            return [ModelView(m, types[m.connection_id]) for m in self._repo(session).all()]

    def get(self, model_id: str) -> ModelView:
        """One model. Raises `NotFound`."""
        with self.store.session() as session:
            model = self._repo(session).get(model_id)
            return ModelView(model, self._connections(session).get(model.connection_id).type)

    def create(self, write: ModelWrite) -> ModelView:
        """Validate `write` against its source and store a new model (version 1).

        Raises `ValidationFailed` naming the offending path, `BadRequest` when
        the connection cannot be a source, and what the connector raises for
        the configuration (`InvalidSourceConfiguration`, `ObjectNotFound`).
        """
        definition = self._define(write, model_id=None, previous=[])
        now = utcnow()
        model = Model(version=1, created_at=now, created_by=self.principal.user_id)
        definition.apply(model)
        model.updated_at, model.updated_by = now, self.principal.user_id
        with self.store.session() as session:
            self._repo(session).add(model)
        return ModelView(model, definition.source.type_id)

    def update(self, model_id: str, write: ModelWrite) -> ModelView:
        """Replace a model with `write` and bump its version.

        Fields keep their ids when their names survive. Raises `NotFound`,
        then what `create` raises.
        """
        previous = self.get(model_id).model.fields
        definition = self._define(write, model_id=model_id, previous=previous)
        with self.store.session() as session:
            model = self._repo(session).get(model_id)
            definition.apply(model)
            model.version += 1
            model.updated_at, model.updated_by = utcnow(), self.principal.user_id
            session.flush()
        return ModelView(model, definition.source.type_id)

    def delete(self, model_id: str) -> None:
        """Delete a model. Raises `NotFound`, and `Conflict` naming the syncs that read it."""
        with self.store.session() as session:
            repo = self._repo(session)
            model = repo.get(model_id)
            syncs = repo.syncs_using(model_id)
            if syncs:
                raise Conflict(
                    f"model {model.name!r} ({model_id}) is used by syncs: "
                    + ", ".join(f"{name} ({sync_id})" for sync_id, name in syncs)
                    + "; delete them or point them at another model first",
                    metadata={"syncs": [{"id": i, "name": n} for i, n in syncs]},
                )
            try:
                repo.delete(model)
            except IntegrityError:
                # A sync started reading the model since the check above.
                raise Conflict(f"model {model_id} is used by a sync") from None

    def sample(self, model_id: str, *, limit: int, budget: float | None) -> Sample:
        """Up to `limit` records of a stored model's fields. Raises `NotFound`, connector errors."""
        model = self.get(model_id).model
        source = self.discovery.source(model.connection_id)
        return read_sample(
            source, model.configuration, _names(model.fields), limit=limit, budget=budget
        )

    def preview(self, write: ModelWrite, *, limit: int, budget: float | None) -> Preview:
        """The model `write` would create, with sample records; nothing is stored.

        Raises what `create` raises.
        """
        definition = self._define(write, model_id=None, previous=[])
        now = utcnow()
        model = Model(
            organization_id=self.principal.organization_id,
            version=1,
            created_at=now,
            created_by=self.principal.user_id,
            updated_at=now,
            updated_by=self.principal.user_id,
        )
        definition.apply(model)
        sample = read_sample(
            definition.source, model.configuration, _names(model.fields), limit=limit, budget=budget
        )
        return Preview(ModelView(model, definition.source.type_id), sample)

    def _define(
        self, write: ModelWrite, *, model_id: str | None, previous: list[dict[str, Any]]
    ) -> _Definition:
        """Validate `write`, discovering its fields from the source."""
        check_request(write, self.principal.organization_id)
        source = self._source(write.connection_id)
        discovered = source.source_fields(write.configuration)
        fields = build_fields(write, discovered, previous, utcnow())
        check_references(write, fields)
        relations = self._relations(write, fields, model_id)
        return _Definition(write=write, fields=fields, relations=relations, source=source)

    def _source(self, connection_id: str) -> SourceConnector:
        """The source side of a connection named in a request body (422 when unknown)."""
        try:
            return self.discovery.source(connection_id)
        except NotFound:
            raise ValidationFailed(
                f"connection_id: connection {connection_id} not found", path="connection_id"
            ) from None

    def _relations(
        self, write: ModelWrite, fields: list[dict[str, Any]], model_id: str | None
    ) -> list[dict[str, Any]]:
        """The relations in their stored shape, each pointing at a field of a model of ours.

        A relation to the model being updated is checked against its new fields.
        """
        if not write.relations:
            return []
        stored = []
        with self.store.session() as session:
            repo = self._repo(session)
            for i, relation in enumerate(write.relations):
                target = relation.to
                path = f"relations[{i}].to"
                other = repo.find(target.model_id)
                if target.model_id == model_id:
                    names = _names(fields)
                elif other is not None:
                    names = _names(other.fields)
                else:
                    raise ValidationFailed(
                        f"{path}.model_id: model {target.model_id} not found",
                        path=f"{path}.model_id",
                    )
                if target.field not in names:
                    raise ValidationFailed(
                        f"{path}.field: {target.field!r} is not a field of model {target.model_id}",
                        path=f"{path}.field",
                    )
                stored.append(
                    {
                        "from": relation.from_,
                        "to": {"model_id": target.model_id, "field": target.field},
                    }
                )
        return stored

    def _repo(self, session: Any) -> ModelRepository:
        return ModelRepository(session, self.principal.organization_id)

    def _connections(self, session: Any) -> ConnectionRepository:
        return ConnectionRepository(session, self.principal.organization_id)


def _names(fields: list[dict[str, Any]]) -> list[str]:
    return [f["name"] for f in fields]
