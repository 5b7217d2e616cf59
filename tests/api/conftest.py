"""API test fixtures.

One app per metadata backend (SQLite and PostgreSQL) for the session; every
test gets a fresh organization of its own, made through the deployment key,
so tests never see each other's objects.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from polytomic import Polytomic

from syncline.api.app import create_app
from syncline.settings import Settings

# Fixtures of the sync tests, defined beside the tables they create.
from tests.api.execution_fixtures import runner, schema  # noqa: F401
from tests.api.sync_fixtures import setup, sync_schema  # noqa: F401
from tests.conftest import PG_HOST, PG_PORT, PG_USER

DEPLOYMENT_KEY = "deployment-key-for-tests"
ADMIN_KEY = "sl_admin_key_for_tests"


@dataclass
class Server:
    """A running app and how to reach it."""

    app: FastAPI
    client: TestClient
    settings: Settings
    backend: str


@pytest.fixture(scope="session")
def pg_metadata_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the metadata store, dropped afterwards."""
    name = f"syncline_meta_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app on each metadata backend."""
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    local_root = tmp_path_factory.mktemp(f"local-{request.param}")
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("pg_metadata_url")
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        api_key=ADMIN_KEY,
        deployment_key=DEPLOYMENT_KEY,
        scheduler=False,
        local_roots=[local_root],
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield Server(app=app, client=client, settings=settings, backend=request.param)


def basic_auth(organization_id: str, key: str = DEPLOYMENT_KEY) -> dict[str, str]:
    """Headers for deployment-key authentication inside an organization."""
    token = base64.b64encode(f"{organization_id}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Org:
    """A fresh organization with an admin user and an API key."""

    id: str
    user_id: str
    key: str
    client: TestClient
    server: Server

    def sdk(self) -> Polytomic:
        """The official SDK, talking to the app in-process."""
        return Polytomic(
            base_url="http://testserver",
            token=self.key,
            httpx_client=TestClient(self.server.app),
            max_retries=0,
        )


def make_org(server: Server) -> Org:
    """Create an organization, a user and a key through the API."""
    first = server.client.get("/api/organization", headers=_admin()).json()["data"]["id"]
    system = basic_auth(first)
    org = server.client.post(
        "/api/organizations", json={"name": f"org-{uuid.uuid4().hex[:6]}"}, headers=system
    )
    assert org.status_code == 200, org.text
    org_id = org.json()["data"]["id"]
    user = server.client.post(
        f"/api/organizations/{org_id}/users", json={"email": "owner@example.com"}, headers=system
    )
    assert user.status_code == 200, user.text
    user_id = user.json()["data"]["id"]
    key = server.client.post(f"/api/organizations/{org_id}/users/{user_id}/keys", headers=system)
    assert key.status_code == 200, key.text
    value = key.json()["data"]["value"]
    client = TestClient(server.app, headers={"Authorization": f"Bearer {value}"})
    return Org(id=org_id, user_id=user_id, key=value, client=client, server=server)


def add_member(org: Org, role: str) -> Org:
    """Another user of `org` with `role` and a key, made through the deployment key.

    The result is `org` as that user sees it: the same `id`, the new user's
    `user_id`, `key` and `client`.
    """
    system = basic_auth(org.id)
    user = org.server.client.post(
        f"/api/organizations/{org.id}/users",
        json={"email": f"{role}-{uuid.uuid4().hex[:6]}@example.com", "role": role},
        headers=system,
    )
    assert user.status_code == 200, user.text
    user_id = user.json()["data"]["id"]
    key = org.server.client.post(
        f"/api/organizations/{org.id}/users/{user_id}/keys", headers=system
    )
    assert key.status_code == 200, key.text
    value = key.json()["data"]["value"]
    client = TestClient(org.server.app, headers={"Authorization": f"Bearer {value}"})
    return Org(id=org.id, user_id=user_id, key=value, client=client, server=org.server)


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def org(server: Server) -> Org:
    """A fresh organization for this test."""
    return make_org(server)


@pytest.fixture
def other_org(server: Server) -> Org:
    """A second organization, to prove isolation."""
    return make_org(server)


@pytest.fixture
def local_dir(server: Server) -> Path:
    """A fresh directory under the server's local roots, for `sqlite` and `files` paths."""
    assert server.settings.local_roots
    directory = server.settings.local_roots[0] / uuid.uuid4().hex[:12]
    directory.mkdir()
    return directory


@pytest.fixture
def files_dir(local_dir: Path) -> Path:
    """A directory of small files for `files` connections, under the local roots."""
    directory = local_dir / "files"
    directory.mkdir()
    (directory / "people.csv").write_text("id,name,score\n1,Ada,9.5\n2,Grace,8.25\n")
    return directory
