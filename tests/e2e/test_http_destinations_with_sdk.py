"""The official SDK's flows for the HTTP destinations.

A webhook: a connection whose secret is shown once, a sync of a PostgreSQL model
to its `http` object, a run, and every record at the receiver, signed with that
secret. An HTTP API: records created one request each, their remote ids kept,
and a later change sent as a PATCH of only what changed to the remote id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from polytomic import (
    Identity,
    ModelSyncIdentities,
    ModelSyncV5Target,
    Polytomic,
    Schedule,
    Source,
    SyncField,
)

from syncline.connectors.base import MASK
from tests.conftest import PG_DSN, temporary_pg_schema
from tests.e2e.conftest import API_KEY, run_to_end
from tests.receivers import Receiver, echo_ids

pytestmark = pytest.mark.e2e


@contextmanager
def people(rows: int) -> Iterator[str]:
    """A PostgreSQL schema holding `people` (id, email, plan) with `rows` rows."""
    with temporary_pg_schema(
        "e2e_http",
        "CREATE TABLE {schema}.people (id int PRIMARY KEY, email text, plan text)",
        "INSERT INTO {schema}.people SELECT i, 'p' || i || '@example.com', 'pro'"
        f" FROM generate_series(1, {rows}) i",
    ) as schema:
        yield schema


def people_model(sdk: Polytomic, pg_config: dict[str, Any], schema: str) -> str:
    """A model of `schema`.people on a new PostgreSQL connection; its id."""
    pg = sdk.connections.create(name="warehouse", type="postgresql", configuration=pg_config)
    assert pg.data is not None
    model = sdk.models.create(
        name="people", connection_id=pg.data.id, configuration={"table": f"{schema}.people"}
    ).data
    assert model is not None
    assert model.id
    return model.id


def sync_by_id(sdk: Polytomic, model_id: str, name: str, target: ModelSyncV5Target) -> str:
    """An active manual updateOrCreate sync of id, email and plan, identified by id; its id."""
    sync = sdk.model_sync.create(
        name=name,
        mode="updateOrCreate",
        active=True,
        schedule=Schedule(frequency="manual"),
        target=target,
        fields=[
            SyncField(source=Source(model_id=model_id, field=f), target=f)
            for f in ("id", "email", "plan")
        ],
        identities=ModelSyncIdentities(
            mappings=[
                Identity(
                    source=Source(model_id=model_id, field="id"), target="id", function="Equality"
                )
            ]
        ),
    ).data
    assert sync is not None
    assert sync.id
    return sync.id


def test_the_sdk_syncs_a_postgresql_model_to_a_webhook_with_valid_signatures(
    served: tuple[str, str], receiver: Receiver, pg_config: dict[str, Any]
) -> None:
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)
    with people(500) as schema:
        model_id = people_model(sdk, pg_config, schema)
        created = sdk.connections.create(
            name="receiver",
            type="webhook",
            configuration={"url": receiver.url_for("/hooks/people")},
        ).data
        assert created is not None
        assert created.id
        secret = created.configuration["secret"]
        assert secret.startswith("whsec_")
        shown = sdk.connections.get(created.id).data
        assert shown is not None
        assert shown.configuration["secret"] == MASK
        targets = sdk.model_sync.targets.list(created.id).data or []
        assert [t.id for t in targets] == ["http"]

        target = ModelSyncV5Target(
            connection_id=created.id, object="http", configuration={"batch_size": 100}
        )
        sync_id = sync_by_id(sdk, model_id, "People to the receiver", target)
        execution = run_to_end(sdk, sync_id)
        assert execution.status == "completed"
        assert execution.counts.insert == 500

        ids = sorted(record["fields"]["id"] for record in receiver.records())
        assert ids == list(range(1, 501))
        assert all(r.headers["Authorization"] == f"Bearer {secret}" for r in receiver.received())
        # The connection's check reached the URL with a GET; the records came in signed POSTs.
        problems = receiver.signature_problems(secret, signed="decoded")
        assert [request.method for request, _ in problems] == ["GET"]
        posts = [r for r in receiver.accepted() if r.method == "POST"]
        assert {r.data["object"]["name"] for r in posts} == {"People to the receiver"}


def test_the_sdk_syncs_a_postgresql_model_to_an_http_api_and_updates_by_remote_id(
    served: tuple[str, str], receiver: Receiver, pg_config: dict[str, Any]
) -> None:
    receiver.respond(200, echo_ids("contact-", "id"))
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)
    with people(60) as schema:
        model_id = people_model(sdk, pg_config, schema)
        api = sdk.connections.create(
            name="crm",
            type="http",
            configuration={
                "base_url": receiver.url,
                "auth_method": "bearer",
                "bearer_token": "crm-token-1",
                "concurrency": 4,
            },
        ).data
        assert api is not None
        assert api.id
        assert api.configuration["bearer_token"] == MASK
        target = ModelSyncV5Target(
            connection_id=api.id,
            object="http",
            configuration={
                "insert": {"method": "POST", "path": "/contacts"},
                "update": {
                    "method": "PATCH",
                    "path": "/contacts/{{ remote_id }}",
                    "body": "{{ record | pick(changed_fields) | tojson }}",
                },
                "remote_id_path": "$.id",
            },
        )
        sync_id = sync_by_id(sdk, model_id, "People to the CRM", target)
        assert run_to_end(sdk, sync_id).counts.insert == 60
        posts = [r for r in receiver.accepted() if r.method == "POST"]
        assert sorted(r.data["id"] for r in posts) == list(range(1, 61))
        assert {r.path for r in posts} == {"/contacts"}
        assert {r.headers["Authorization"] for r in posts} == {"Bearer crm-token-1"}

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"UPDATE \"{schema}\".people SET plan = 'team' WHERE id IN (7, 42)")
        assert run_to_end(sdk, sync_id).counts.update == 2
        patches = [r for r in receiver.accepted() if r.method == "PATCH"]
        assert sorted((r.path, json.dumps(r.data)) for r in patches) == [
            ("/contacts/contact-42", '{"plan": "team"}'),
            ("/contacts/contact-7", '{"plan": "team"}'),
        ]
