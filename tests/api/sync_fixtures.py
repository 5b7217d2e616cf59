"""Source and target tables, connections and models shared by the sync API tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from tests.conftest import PG_DATABASE, PG_HOST, PG_PORT, PG_USER

if TYPE_CHECKING:
    from tests.api.conftest import Org

PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"


@pytest.fixture(scope="module")
def sync_schema() -> Iterator[str]:
    """A schema with a `users` source table and a `contacts` target table."""
    schema = f"syncs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".users (id bigint PRIMARY KEY, email text NOT NULL,'
            " name text, plan text, mrr numeric(10,2), signed_up timestamptz,"
            " tags text[], profile jsonb, active boolean)"
        )
        conn.execute(
            f'CREATE TABLE "{schema}".contacts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE,'
            " full_name text, plan text, mrr numeric(10,2), updated_at timestamptz,"
            " active boolean, email_domain text GENERATED ALWAYS AS"
            " (split_part(email, '@', 2)) STORED)"
        )
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass
class SyncSetup:
    """An organization with a PostgreSQL connection and a model over `users`."""

    org: Org
    schema: str
    connection_id: str
    model_id: str

    @property
    def target(self) -> str:
        return f"{self.schema}.contacts"

    def source(self, field: str) -> dict[str, str]:
        return {"model_id": self.model_id, "field": field}

    def body(self, **changes: Any) -> dict[str, Any]:
        """A valid updateOrCreate sync, with top-level keys replaced by `changes`."""
        body: dict[str, Any] = {
            "name": "users to contacts",
            "mode": "updateOrCreate",
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": self.connection_id, "object": self.target},
            "fields": [
                {"source": self.source("email"), "target": "email"},
                {"source": self.source("name"), "target": "full_name"},
                {"source": self.source("mrr"), "target": "mrr"},
            ],
            "identities": {
                "mappings": [{"source": self.source("id"), "target": "id", "function": "Equality"}]
            },
        }
        body.update(changes)
        return body

    def create(self, **changes: Any) -> Any:
        return self.org.client.post("/api/syncs", json=self.body(**changes))


def make_setup(org: Org, pg_config: dict[str, Any], schema: str) -> SyncSetup:
    connection = org.client.post(
        "/api/connections", json={"name": "pg", "type": "postgresql", "configuration": pg_config}
    )
    assert connection.status_code == 200, connection.text
    connection_id = connection.json()["data"]["id"]
    model = org.client.post(
        "/api/models",
        json={
            "name": "users",
            "connection_id": connection_id,
            "configuration": {"table": f"{schema}.users"},
            "identifier": "id",
        },
    )
    assert model.status_code == 200, model.text
    return SyncSetup(org, schema, connection_id, model.json()["data"]["id"])


@pytest.fixture
def setup(org: Org, pg_config: dict[str, Any], sync_schema: str) -> SyncSetup:
    return make_setup(org, pg_config, sync_schema)
