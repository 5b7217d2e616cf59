"""The metadata store: migrations, secrets at rest and the first start."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event

from syncline.errors import NotFound
from syncline.services.bootstrap import ensure_first_organization
from syncline.settings import Settings
from syncline.store import db
from syncline.store.connections import ConnectionRepository
from syncline.store.db import Store, StoreUnavailable
from syncline.store.executions import ExecutionRepository
from syncline.store.jobs import JobRepository
from syncline.store.models import ModelRepository
from syncline.store.organizations import OrganizationRepository
from syncline.store.secrets import InvalidSecretKey, SecretBox, SecretKeyMismatch
from syncline.store.syncs import SyncRepository
from syncline.store.tables import Base, Connection, Execution, Sync, utcnow
from tests.store_fixtures import STORE_BACKENDS, migrated_store


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with migrated_store(request.param, tmp_path) as store:
        yield store


def _head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migrations_match_the_table_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrating_twice_changes_nothing(store: Store) -> None:
    store.migrate()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == _head_revision()


def test_first_start_creates_organization_user_and_key(store: Store, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = ensure_first_organization(store, settings)
    assert first.api_key is not None
    key_file = tmp_path / "data" / "api-key"
    assert key_file.read_text().strip() == first.api_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with store.session() as session:
        found = OrganizationRepository(session).resolve_api_key(first.api_key)
        assert found is not None
        assert found[1].id == first.organization_id


def test_first_start_is_idempotent(store: Store, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = ensure_first_organization(store, settings)
    again = ensure_first_organization(store, settings)
    assert first.created is True
    assert again.created is False
    assert again.organization_id == first.organization_id
    assert again.api_key == first.api_key
    with store.session() as session:
        assert len(OrganizationRepository(session).all()) == 1


def test_configured_api_key_is_registered_and_stored_hashed(store: Store, tmp_path: Path) -> None:
    key = "sl_known_key_for_scripts"
    settings = Settings(data_dir=tmp_path / "data", api_key=key)
    first = ensure_first_organization(store, settings)
    assert first.api_key == key
    assert not (tmp_path / "data" / "api-key").exists()
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT key_hash FROM api_keys").scalars().all()
    assert key not in stored
    with store.session() as session:
        assert OrganizationRepository(session).resolve_api_key(key) is not None


def test_generated_secret_key_is_private_and_reused(tmp_path: Path) -> None:
    box = SecretBox.load(None, tmp_path)
    token = box.encrypt({"password": "hunter2"})
    assert "hunter2" not in token
    key_path = tmp_path / "secret.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert SecretBox.load(None, tmp_path).decrypt(token) == {"password": "hunter2"}


def test_a_different_secret_key_cannot_decrypt(tmp_path: Path) -> None:
    token = SecretBox.load(None, tmp_path / "a").encrypt({"password": "hunter2"})
    other = SecretBox.load(None, tmp_path / "b")
    with pytest.raises(SecretKeyMismatch) as raised:
        other.decrypt(token)
    assert "hunter2" not in str(raised.value)


def test_nothing_to_hide_is_stored_empty(tmp_path: Path) -> None:
    box = SecretBox.load(None, tmp_path)
    assert box.encrypt({}) == ""
    assert box.decrypt("") == {}


def test_a_malformed_secret_key_is_explained(tmp_path: Path) -> None:
    with pytest.raises(InvalidSecretKey) as raised:
        SecretBox.load("not-a-fernet-key", tmp_path)
    assert "Fernet.generate_key" in raised.value.message


def test_an_unreachable_store_is_explained_without_its_password() -> None:
    store = Store("postgresql+psycopg://someone:hunter2@127.0.0.1:5999/meta")
    with pytest.raises(StoreUnavailable) as raised:
        store.migrate()
    assert "127.0.0.1:5999" in raised.value.message
    assert "hunter2" not in raised.value.message


MALFORMED_IDS = [
    "\x00",
    "ab\x00cd",
    "x" * 300,
    "not-a-uuid",
    "6A3F5C1E-2B4D-4E8F-9A0B-1C2D3E4F5A6B",
]


def test_lookups_by_malformed_ids_find_nothing_without_querying(
    store: Store, tmp_path: Path
) -> None:
    organization_id = ensure_first_organization(store, Settings(data_dir=tmp_path)).organization_id
    for bad in MALFORMED_IDS:
        with store.session() as session:
            organizations = OrganizationRepository(session)
            assert organizations.get(bad) is None
            assert organizations.get_user(organization_id, bad) is None
            assert ModelRepository(session, organization_id).find(bad) is None
            assert ExecutionRepository(session, organization_id).find(bad) is None
            assert SyncRepository(session, organization_id).exists(bad) is False
            for lookup in (
                ConnectionRepository(session, organization_id).get,
                ModelRepository(session, organization_id).get,
                SyncRepository(session, organization_id).get,
                JobRepository(session, organization_id).get,
                ExecutionRepository(session, organization_id).get,
            ):
                with pytest.raises(NotFound):
                    lookup(bad)


def test_a_sync_s_current_and_last_ended_run_are_read_alone(store: Store, tmp_path: Path) -> None:
    """The sync page asks for both on every poll: each loads one execution, not the
    sync's whole history (newest first; runs created at the same moment by id)."""
    organization_id = ensure_first_organization(store, Settings(data_dir=tmp_path)).organization_id
    start = utcnow() - timedelta(days=1)
    with store.session() as session:
        connection = Connection(organization_id=organization_id, name="t", type="sqlite")
        session.add(connection)
        session.flush()
        sync = Sync(
            organization_id=organization_id,
            name="s",
            mode="updateOrCreate",
            target_connection_id=connection.id,
        )
        session.add(sync)
        session.flush()
        ended = [
            Execution(
                organization_id=organization_id,
                sync_id=sync.id,
                status=("completed", "failed", "canceled", "interrupted")[n % 4],
                created_at=start + timedelta(minutes=n),
            )
            for n in range(40)
        ]
        tied = Execution(
            id="ffffffff-ffff-4fff-bfff-ffffffffffff",
            organization_id=organization_id,
            sync_id=sync.id,
            status="completed",
            created_at=ended[-1].created_at,
        )
        running = Execution(
            organization_id=organization_id,
            sync_id=sync.id,
            status="running",
            created_at=start + timedelta(hours=2),
        )
        session.add_all([*ended, tied, running])
        session.flush()
        sync_id, running_id = sync.id, running.id
    loaded: list[str] = []

    def count(target: Execution, _context: Any) -> None:
        loaded.append(target.id)

    event.listen(Execution, "load", count)
    try:
        with store.session() as session:
            repo = ExecutionRepository(session, organization_id)
            last = repo.last_ended(sync_id)
            assert last is not None
            assert last.id == tied.id
            assert loaded == [tied.id]
            current = repo.current(sync_id)
            assert current is not None
            assert current.id == running_id
            assert loaded == [tied.id, running_id]
    finally:
        event.remove(Execution, "load", count)
