"""Models, always scoped to one organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncline.errors import NotFound
from syncline.store.tables import Model, Sync, SyncModel, is_id


class ModelRepository:
    """The models of one organization. Another organization's do not exist here."""

    def __init__(self, session: Session, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def all(self) -> list[Model]:
        """Every model of the organization, oldest first."""
        return list(
            self.session.scalars(
                select(Model)
                .where(Model.organization_id == self.organization_id)
                .order_by(Model.created_at, Model.id)
            )
        )

    def find(self, model_id: str) -> Model | None:
        """One model, or None when absent or another organization's."""
        if not is_id(model_id):
            return None
        return self.session.scalars(
            select(Model).where(Model.organization_id == self.organization_id, Model.id == model_id)
        ).first()

    def get(self, model_id: str) -> Model:
        """One model. Raises `NotFound` when absent or another organization's."""
        model = self.find(model_id)
        if model is None:
            raise NotFound(f"model {model_id} not found", metadata={"id": model_id})
        return model

    def add(self, model: Model) -> Model:
        """Insert a new model of this organization."""
        model.organization_id = self.organization_id
        self.session.add(model)
        self.session.flush()
        return model

    def delete(self, model: Model) -> None:
        """Delete a model. The database refuses it while a sync still reads the model."""
        self.session.delete(model)
        self.session.flush()

    def syncs_using(self, model_id: str) -> list[tuple[str, str]]:
        """`(id, name)` of every sync of the organization that reads the model, by name."""
        rows = self.session.execute(
            select(Sync.id, Sync.name)
            .join(SyncModel, SyncModel.sync_id == Sync.id)
            .where(SyncModel.model_id == model_id, Sync.organization_id == self.organization_id)
            .order_by(Sync.name, Sync.id)
        )
        return [(sync_id, name) for sync_id, name in rows]
