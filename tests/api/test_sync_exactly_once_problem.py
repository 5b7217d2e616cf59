"""An append or snapshot into a table that cannot mark its commits says so in `problems`.

A MariaDB table on an engine without transactions (MyISAM) cannot commit a
marker with a batch, so after a crash the batch being written is sent
again. A sync that would then hold it twice (append, snapshot) is saved
with a warning naming the table and what to do; other modes, and InnoDB
tables, are not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Org
from tests.conftest import temporary_maria_database, temporary_pg_schema


@pytest.fixture(scope="module")
def tables() -> Iterator[tuple[str, str]]:
    with (
        temporary_pg_schema(
            "once_src", "CREATE TABLE {schema}.things (id bigint PRIMARY KEY, name text)"
        ) as schema,
        temporary_maria_database(
            "once_dst",
            "CREATE TABLE {database}.plain (id BIGINT PRIMARY KEY, name LONGTEXT) ENGINE=MyISAM",
            "CREATE TABLE {database}.safe (id BIGINT PRIMARY KEY, name LONGTEXT) ENGINE=InnoDB",
        ) as database,
    ):
        yield schema, database


def _create(org: Org, path: str, body: dict[str, Any]) -> str:
    response = org.client.post(path, json=body)
    assert response.status_code == 200, response.text
    created: str = response.json()["data"]["id"]
    return created


def _sync(
    org: Org, tables: tuple[str, str], pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> Any:
    schema, database = tables
    pg = _create(
        org, "/api/connections", {"name": "pg", "type": "postgresql", "configuration": pg_config}
    )
    maria = _create(
        org,
        "/api/connections",
        {"name": "maria", "type": "mysql", "configuration": {**mysql_config, "dbname": database}},
    )
    model = _create(
        org,
        "/api/models",
        {"name": "things", "connection_id": pg, "configuration": {"table": f"{schema}.things"}},
    )

    def save(mode: str, table: str) -> list[dict[str, Any]]:
        source = lambda field: {"model_id": model, "field": field}  # noqa: E731
        body: dict[str, Any] = {
            "name": f"{mode} into {table}",
            "mode": mode,
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": maria, "object": f"{database}.{table}"},
            "fields": [{"source": source(f), "target": f} for f in ("id", "name")],
        }
        if mode == "updateOrCreate":
            body["identities"] = {
                "mappings": [{"source": source("id"), "target": "id", "function": "Equality"}]
            }
        response = org.client.post("/api/syncs", json=body)
        assert response.status_code == 200, response.text
        problems: list[dict[str, Any]] = response.json()["data"]["problems"]
        return problems

    return save


def test_an_append_into_a_table_without_transactions_is_saved_with_a_warning(
    org: Org, tables: tuple[str, str], pg_config: dict[str, Any], mysql_config: dict[str, Any]
) -> None:
    save = _sync(org, tables, pg_config, mysql_config)
    for mode in ("append", "snapshot"):
        [problem] = save(mode, "plain")
        assert problem["code"] == "duplicates_after_crash"
        assert problem["severity"] is None
        assert problem["path"] == "target.object"
        assert "MyISAM" in problem["message"]
        assert "InnoDB" in problem["message"]
    assert save("updateOrCreate", "plain") == []
    assert save("append", "safe") == []
