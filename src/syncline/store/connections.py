"""Connections, always scoped to one organization."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from syncline.errors import NotFound
from syncline.store.tables import Connection, Model, Sync, SyncModel, is_id


class ConnectionRepository:
    """The connections of one organization. Another organization's do not exist here."""

    def __init__(self, session: Session, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def all(self) -> list[Connection]:
        """Every connection of the organization, oldest first."""
        return list(
            self.session.scalars(
                select(Connection)
                .where(Connection.organization_id == self.organization_id)
                .order_by(Connection.created_at, Connection.id)
            )
        )

    def get(self, connection_id: str) -> Connection:
        """One connection. Raises `NotFound` when absent or another organization's."""
        connection = None
        if is_id(connection_id):
            connection = self.session.scalars(
                select(Connection).where(
                    Connection.organization_id == self.organization_id,
                    Connection.id == connection_id,
                )
            ).first()
        if connection is None:
            raise NotFound(f"connection {connection_id} not found", metadata={"id": connection_id})
        return connection

    def add(self, connection: Connection) -> Connection:
        """Insert a new connection of this organization."""
        connection.organization_id = self.organization_id
        self.session.add(connection)
        self.session.flush()
        return connection

    def delete(self, connection: Connection) -> None:
        """Delete a connection."""
        self.session.delete(connection)
        self.session.flush()

    def dependents(self, connection_id: str) -> tuple[list[Model], list[Sync]]:
        """The models reading a connection, and the syncs writing to it or reading those models."""
        models = list(
            self.session.scalars(
                select(Model).where(
                    Model.organization_id == self.organization_id,
                    Model.connection_id == connection_id,
                )
            )
        )
        model_ids = [m.id for m in models]
        reading = select(SyncModel.sync_id).where(SyncModel.model_id.in_(model_ids))
        syncs = list(
            self.session.scalars(
                select(Sync).where(
                    Sync.organization_id == self.organization_id,
                    or_(Sync.target_connection_id == connection_id, Sync.id.in_(reading)),
                )
            )
        )
        return models, syncs
