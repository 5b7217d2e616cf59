"""Alembic environment: runs migrations on the connection `Store.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from syncline.store.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run migrations through syncline.store.db.Store.migrate()")
_run(_connection)
