"""`syncline serve` as a subprocess, driven by the official `polytomic` SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from polytomic import Polytomic

from tests.conftest import temporary_maria_database, temporary_pg_schema
from tests.e2e.conftest import API_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pg_table() -> Iterator[str]:
    with temporary_pg_schema(
        "e2e",
        "CREATE TABLE {schema}.accounts (id bigint PRIMARY KEY, domain text NOT NULL,"
        " mrr numeric(10,2), renewed_at timestamptz)",
    ) as schema:
        yield schema


@pytest.fixture(scope="module")
def mysql_table() -> Iterator[str]:
    with temporary_maria_database(
        "e2e",
        "CREATE TABLE {database}.crm_accounts (id BIGINT PRIMARY KEY,"
        " domain VARCHAR(255) NOT NULL, mrr DECIMAL(10,2))",
    ) as name:
        yield name


def test_serve_prints_the_url_and_api_key(served: tuple[str, str]) -> None:
    base_url, output = served
    assert base_url in output
    assert f"API key: {API_KEY}" in output


def test_sdk_discovers_sources_and_targets(
    served: tuple[str, str],
    pg_table: str,
    mysql_table: str,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
) -> None:
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)
    assert sdk.identity.get().data is not None

    types = {t.id for t in sdk.connections.get_types().data or []}
    assert {"postgresql", "mysql"} <= types

    pg = sdk.connections.create(name="pg", type="postgresql", configuration=pg_config).data
    maria = sdk.connections.create(
        name="maria", type="mysql", configuration={**mysql_config, "dbname": mysql_table}
    ).data
    assert pg is not None
    assert pg.id
    assert pg.status == "healthy"
    assert maria is not None
    assert maria.id
    assert maria.status == "healthy"

    top = sdk.model_sync.get_source(pg.id).data
    assert top is not None
    assert top.items is not None
    schema_item = top.items["schema"]
    assert schema_item is not None
    assert pg_table in [i["value"] for i in schema_item.items or []]
    refined = sdk.model_sync.get_source(pg.id, params={"schema": [pg_table]}).data
    assert refined is not None
    assert refined.items is not None
    table_item = refined.items["table"]
    assert table_item is not None
    table = next(i["value"] for i in table_item.items or [] if i["label"] == "accounts")

    fields = sdk.model_sync.get_source_fields(pg.id, params={"table": [table]}).data or []
    assert [(f.name, f.type) for f in fields] == [
        ("id", "number"),
        ("domain", "string"),
        ("mrr", "number"),
        ("renewed_at", "datetime"),
    ]

    targets = sdk.model_sync.targets.list(maria.id).data or []
    target_id = f"{mysql_table}.crm_accounts"
    assert target_id in [t.id for t in targets]
    target = sdk.model_sync.targets.get_target_fields(maria.id, target=target_id).data
    assert target is not None
    assert [f.id for f in target.fields or []] == ["id", "domain", "mrr"]
    domain = next(f for f in target.fields or [] if f.id == "domain")
    assert domain.supports_identity is True
    assert domain.required is True
