"""Models and syncs configured through the official SDK against `syncline serve`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from polytomic import (
    Identity,
    ModelFilterCondition,
    ModelFilters,
    ModelSyncIdentities,
    ModelSyncV5Target,
    Override,
    OverrideFieldInput,
    Polytomic,
    Schedule,
    Source,
    SyncField,
    TargetFilterCondition,
    TargetFilters,
)
from polytomic.errors import UnprocessableEntityError

from tests.conftest import temporary_maria_database, temporary_pg_schema
from tests.e2e.conftest import API_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    with temporary_pg_schema(
        "e2e_cfg",
        "CREATE TABLE {schema}.accounts (id bigint PRIMARY KEY, domain text NOT NULL,"
        " name text, plan text, mrr numeric(10,2), renewed_at timestamptz)",
        "INSERT INTO {schema}.accounts VALUES"
        " (1, 'acme.com', 'Acme', 'pro', 120.50, '2026-01-05T10:00:00Z'),"
        " (2, 'globex.com', 'Globex', 'free', 0, NULL),"
        " (3, 'initech.com', 'Initech', 'enterprise', 990.00, '2026-03-01T00:00:00Z')",
    ) as schema:
        yield schema


@pytest.fixture(scope="module")
def maria_database() -> Iterator[str]:
    with temporary_maria_database(
        "e2e_cfg",
        "CREATE TABLE {database}.crm_accounts (id BIGINT PRIMARY KEY,"
        " domain VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(255), plan VARCHAR(32),"
        " mrr DECIMAL(10,2), source VARCHAR(32))",
    ) as name:
        yield name


@pytest.fixture(scope="module")
def sqlite_file(served_root: Path) -> Path:
    path = served_root / "warehouse.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE accounts_copy (id INTEGER PRIMARY KEY, domain TEXT, arr REAL, plan TEXT)"
        )
    return path


def _src(model_id: str, field: str) -> Source:
    return Source(model_id=model_id, field=field)


def test_sdk_configures_models_and_syncs(
    served: tuple[str, str],
    pg_schema: str,
    maria_database: str,
    sqlite_file: Path,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
) -> None:
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)

    def connection(name: str, type_id: str, config: dict[str, Any]) -> str:
        created = sdk.connections.create(name=name, type=type_id, configuration=config).data
        assert created is not None
        assert created.id
        return created.id

    pg = connection("warehouse", "postgresql", pg_config)
    maria = connection("crm", "mysql", {**mysql_config, "dbname": maria_database})
    lite = connection("lite", "sqlite", {"path": str(sqlite_file)})

    # Models over a table and over a query, sampled with real rows.
    table_model = sdk.models.create(
        name="accounts",
        connection_id=pg,
        configuration={"table": f"{pg_schema}.accounts"},
        identifier="id",
        tracking_columns=["renewed_at"],
        labels=["crm"],
    ).data
    assert table_model is not None
    assert table_model.id
    assert [f.name for f in table_model.fields or []] == [
        "id",
        "domain",
        "name",
        "plan",
        "mrr",
        "renewed_at",
    ]
    query_model = sdk.models.create(
        name="paying accounts",
        connection_id=pg,
        configuration={
            "query": f"SELECT id, domain, mrr * 12 AS arr, plan FROM {pg_schema}.accounts"
            " WHERE plan <> 'free'"
        },
    ).data
    assert query_model is not None
    assert query_model.id
    table_sample = sdk.models.sample(table_model.id).data
    assert table_sample is not None
    assert len(table_sample.records or []) == 3
    query_sample = sdk.models.sample(query_model.id).data
    assert query_sample is not None
    assert len(query_sample.records or []) == 2

    tm, qm = table_model.id, query_model.id
    crm_target = f"{maria_database}.crm_accounts"

    upsert = sdk.model_sync.create(
        name="accounts to CRM",
        mode="updateOrCreate",
        schedule=Schedule(frequency="daily", hour="6", minute="30"),
        target=ModelSyncV5Target(connection_id=maria, object=crm_target),
        fields=[
            SyncField(source=_src(tm, "domain"), target="domain"),
            SyncField(source=_src(tm, "name"), target="name"),
            SyncField(source=_src(tm, "plan"), target="plan", sync_mode="create"),
            SyncField(source=_src(tm, "mrr"), target="mrr"),
        ],
        identities=ModelSyncIdentities(
            mappings=[Identity(source=_src(tm, "id"), target="id", function="Equality")]
        ),
        model_filters=ModelFilters(
            conditions=[
                ModelFilterCondition(
                    source=_src(tm, "plan"), function="StringOneOf", value=["pro", "enterprise"]
                ),
                ModelFilterCondition(source=_src(tm, "renewed_at"), function="IsNotNull"),
            ],
            logic="A AND B",
        ),
        override_fields=[OverrideFieldInput(target="source", override_value="syncline")],
        overrides=[Override(field=_src(tm, "name"), function="IsNull", override="unknown")],
    ).data
    assert upsert is not None
    assert upsert.id
    assert upsert.identity is not None
    assert upsert.identity.target == "id"
    assert [c.label for c in (upsert.model_filters.conditions or [])] == ["A", "B"]  # type: ignore[union-attr]

    update = sdk.model_sync.create(
        name="refresh CRM plans",
        mode="update",
        schedule=Schedule(frequency="hourly", minute="5"),
        target=ModelSyncV5Target(connection_id=maria, object=crm_target),
        fields=[SyncField(source=_src(tm, "plan"), target="plan")],
        identities=ModelSyncIdentities(
            mappings=[Identity(source=_src(tm, "domain"), target="domain", function="Equality")]
        ),
        target_filters=TargetFilters(
            conditions=[TargetFilterCondition(field="plan", function="IsNotNull")]
        ),
    ).data
    assert update is not None
    assert update.id

    replace = sdk.model_sync.create(
        name="paying accounts to SQLite",
        mode="replace",
        schedule=Schedule(
            frequency="runafter", run_after={"sync_ids": [upsert.id]}, run_after_success_only=True
        ),
        target=ModelSyncV5Target(connection_id=lite, object="main.accounts_copy"),
        fields=[
            SyncField(source=_src(qm, "id"), target="id"),
            SyncField(source=_src(qm, "domain"), target="domain"),
            SyncField(source=_src(qm, "arr"), target="arr"),
            SyncField(source=_src(qm, "plan"), target="plan"),
        ],
    ).data
    assert replace is not None
    assert replace.id

    history = sdk.model_sync.create(
        name="ARR history",
        mode="append",
        schedule=Schedule(frequency="custom", minute="0", hour="*/6"),
        target=ModelSyncV5Target(
            connection_id=lite, create={"schema": "main"}, new_name="arr_history"
        ),
        fields=[
            SyncField(source=_src(qm, "id"), target="account_id", new=True),
            SyncField(source=_src(qm, "arr"), target="arr", new=True),
        ],
    ).data
    assert history is not None
    assert history.target.object == "main.arr_history"

    with pytest.raises(UnprocessableEntityError) as refused:
        sdk.model_sync.create(
            name="impossible",
            mode="update",
            schedule=Schedule(frequency="manual"),
            target=ModelSyncV5Target(connection_id=maria, object=crm_target),
            fields=[SyncField(source=_src(tm, "plan"), target="plan")],
        )
    assert (
        refused.value.body.metadata == {"path": "identities"}
        or (refused.value.body.metadata or {}).get("path") == "identities"
    )

    # Read back, list, update, activate, error handling, delete.
    fetched = sdk.model_sync.get(upsert.id).data
    assert fetched is not None
    assert fetched.model_dump() == upsert.model_dump()
    listed = sdk.model_sync.list().data or []
    assert {s.id for s in listed} == {upsert.id, update.id, replace.id, history.id}
    by_target = sdk.model_sync.list(target_connection_id=lite).data or []
    assert {s.id for s in by_target} == {replace.id, history.id}

    renamed = sdk.model_sync.update(
        update.id,
        name="refresh CRM plans hourly",
        mode="update",
        schedule=Schedule(frequency="hourly", minute="15"),
        target=ModelSyncV5Target(connection_id=maria, object=crm_target),
        fields=[SyncField(source=_src(tm, "plan"), target="plan")],
        identities=ModelSyncIdentities(
            mappings=[Identity(source=_src(tm, "domain"), target="domain", function="Equality")]
        ),
    ).data
    assert renamed is not None
    assert renamed.name == "refresh CRM plans hourly"
    assert renamed.target_filters is not None
    assert renamed.target_filters.conditions == []

    activated = sdk.model_sync.activate(upsert.id, active=True).data
    assert activated is not None
    assert activated.active is True
    handling = sdk.model_sync.error_handling.update(
        upsert.id, notify_on_record_errors=True, subscribers=["ops@example.com"]
    ).data
    assert handling is not None
    assert handling.subscribers == ["ops@example.com"]
    options = sdk.model_sync.get_schedule_options().data
    assert options is not None
    assert options.schedule_options

    for sync_id in (history.id, replace.id, update.id, upsert.id):
        sdk.model_sync.delete(sync_id)
    assert sdk.model_sync.list().data == []
    sdk.models.delete(qm)
    sdk.models.delete(tm)
