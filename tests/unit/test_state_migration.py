"""Migration 0008_state: syncs that ran before it get a state of no recorded generation."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select

from syncline.store import db
from syncline.store.db import Store
from syncline.store.tables import Connection, Execution, Organization, Sync, SyncState, utcnow
from tests.unit.test_store import store  # noqa: F401 - the migrated store on each backend


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    return config


def test_syncs_that_ran_before_the_migration_have_a_state_of_unrecorded_generation(
    store: Store,  # noqa: F811
) -> None:
    with store.session() as session:
        organization = Organization(name="o")
        session.add(organization)
        session.flush()
        connection = Connection(organization_id=organization.id, name="c", type="postgresql")
        session.add(connection)
        session.flush()
        syncs = {}
        for name in ("ran", "queued only", "never ran"):
            sync = Sync(
                organization_id=organization.id,
                name=name,
                mode="append",
                target_connection_id=connection.id,
            )
            session.add(sync)
            session.flush()
            syncs[name] = sync.id
        session.add(
            Execution(
                organization_id=organization.id,
                sync_id=syncs["ran"],
                status="completed",
                started_at=utcnow(),
            )
        )
        session.add(
            Execution(
                organization_id=organization.id,
                sync_id=syncs["ran"],
                status="failed",
                started_at=utcnow(),
            )
        )
        session.add(
            Execution(
                organization_id=organization.id, sync_id=syncs["queued only"], status="queued"
            )
        )
    config = _config()
    before = ScriptDirectory.from_config(config).get_revision("0008_state").down_revision
    assert isinstance(before, str)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        connection.commit()
        command.upgrade(config, "head")
        connection.commit()

    with store.session() as session:
        states = session.scalars(select(SyncState)).all()
        assert [(s.sync_id, s.generation, s.execution_id) for s in states] == [
            (syncs["ran"], None, None)
        ]
