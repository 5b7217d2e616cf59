"""A PostgreSQL model synced into MariaDB through the SDK, run twice, compared row by row."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pymysql
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

from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DSN,
    temporary_maria_database,
    temporary_pg_schema,
)
from tests.e2e.conftest import API_KEY, run_to_end

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tables() -> Iterator[tuple[str, str]]:
    with (
        temporary_pg_schema(
            "e2e_run",
            "CREATE TABLE {schema}.accounts (id bigint PRIMARY KEY, domain text NOT NULL,"
            " mrr numeric(10,2))",
            "INSERT INTO {schema}.accounts SELECT i, 'd' || i || '.com', i * 2.5"
            " FROM generate_series(1, 2000) i",
        ) as schema,
        temporary_maria_database(
            "e2e_run",
            "CREATE TABLE {database}.accounts (id BIGINT PRIMARY KEY,"
            " domain VARCHAR(255) NOT NULL, mrr DECIMAL(10,2))",
        ) as database,
    ):
        yield schema, database


def _source(schema: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG_DSN) as conn:
        return conn.execute(
            f'SELECT id, domain, mrr FROM "{schema}".accounts ORDER BY id'
        ).fetchall()


def _target(database: str) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, database=database)
    with conn.cursor() as cur:
        cur.execute("SELECT id, domain, mrr FROM accounts ORDER BY id")
        rows = [(int(r[0]), r[1], Decimal(r[2])) for r in cur.fetchall()]
    conn.close()
    return rows


def test_sdk_runs_a_sync_and_a_second_run_moves_only_changes(
    served: tuple[str, str],
    tables: tuple[str, str],
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
) -> None:
    schema, database = tables
    sdk = Polytomic(base_url=served[0], token=API_KEY, max_retries=0)
    pg = sdk.connections.create(name="pg", type="postgresql", configuration=pg_config).data
    maria = sdk.connections.create(
        name="maria", type="mysql", configuration={**mysql_config, "dbname": database}
    ).data
    assert pg is not None
    assert pg.id
    assert maria is not None
    assert maria.id
    model = sdk.models.create(
        name="accounts", connection_id=pg.id, configuration={"table": f"{schema}.accounts"}
    ).data
    assert model is not None
    assert model.id
    src = lambda f: Source(model_id=model.id, field=f)  # noqa: E731
    sync = sdk.model_sync.create(
        name="accounts to MariaDB",
        mode="updateOrCreate",
        active=True,
        schedule=Schedule(frequency="manual"),
        target=ModelSyncV5Target(connection_id=maria.id, object=f"{database}.accounts"),
        fields=[SyncField(source=src(f), target=f) for f in ("id", "domain", "mrr")],
        identities=ModelSyncIdentities(
            mappings=[Identity(source=src("id"), target="id", function="Equality")]
        ),
    ).data
    assert sync is not None
    assert sync.id

    first = run_to_end(sdk, sync.id)
    assert first.status == "completed"
    assert first.counts is not None
    assert first.counts.insert == 2000
    assert _target(database) == _source(schema)

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'UPDATE "{schema}".accounts SET mrr = mrr + 1 WHERE id % 100 = 0')
        conn.execute(f"INSERT INTO \"{schema}\".accounts VALUES (2001, 'new.com', 1)")
    second = run_to_end(sdk, sync.id)
    assert second.status == "completed"
    assert second.counts is not None
    assert (second.counts.update, second.counts.insert, second.counts.error) == (20, 1, 0)
    assert _target(database) == _source(schema)

    status = sdk.model_sync.get_status(sync.id).data
    assert status is not None
    assert status.last_execution is not None
    assert status.last_execution.id == second.id
    listed = sdk.model_sync.executions.list(sync.id).data or []
    assert [e.id for e in listed] == [second.id, first.id]
