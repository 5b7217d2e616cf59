"""Idempotency records kept in clear before outcomes were encrypted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from syncline.errors import Conflict
from syncline.services.idempotency import IdempotencyService
from syncline.store import db
from syncline.store.db import Store
from syncline.store.secrets import SecretBox
from syncline.store.tables import utcnow
from tests.conftest import PG_HOST, PG_PORT, PG_USER

ORG_ID = "6a3f5c1e-2b4d-4e8f-9a0b-1c2d3e4f5a6b"
PLAIN_BODY = b'{"data":{"value":"sl_plaintext_key_kept_by_an_older_syncline"}}'


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty metadata database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    name = f"syncline_unit_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _upgrade_to(store: Store, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def test_upgrading_drops_outcomes_kept_in_clear(url: str, tmp_path: Path) -> None:
    store = Store(url)
    try:
        _upgrade_to(store, "0005")
        now = utcnow()
        with store.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO organizations (id, name, created_at, updated_at)"
                    " VALUES (:id, 'old', :now, :now)"
                ),
                {"id": ORG_ID, "now": now},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO idempotency_keys"
                    " (organization_id, key, fingerprint, status_code, content_type, body,"
                    " created_at) VALUES (:org, 'kept-in-clear', :print, 200,"
                    " 'application/json', :body, :now)"
                ),
                {"org": ORG_ID, "print": "0" * 64, "body": PLAIN_BODY, "now": now},
            )

        store.migrate()

        with store.engine.connect() as connection:
            kept = connection.execute(
                sa.text("SELECT fingerprint, body FROM idempotency_keys")
            ).one()
        assert (kept.fingerprint, bytes(kept.body)) == ("", b"")
        service = IdempotencyService(store, SecretBox.load(None, tmp_path), ORG_ID)
        with pytest.raises(Conflict, match="new key"):
            service.claim(
                "kept-in-clear", service.fingerprint("POST", "/api/x", "", b"", caller="user")
            )
    finally:
        store.dispose()
