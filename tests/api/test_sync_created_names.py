"""Names a sync would create are refused when saved if the target cannot keep them.

MariaDB refuses names ending in white space, longer than 64 characters, or
with characters beyond Unicode's Basic Multilingual Plane; PostgreSQL cuts
names to 63 bytes (the created column is then not found again); a CSV header
loses surrounding spaces. Each of these failed at the first run; now the save
answers 422 with the path of the name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Org
from tests.conftest import temporary_maria_database, temporary_pg_schema

SOURCE_DDL = "CREATE TABLE {schema}.src (id bigint PRIMARY KEY, note text)"


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    with temporary_pg_schema("names", SOURCE_DDL, "CREATE TABLE {schema}.dst (id bigint)") as name:
        yield name


@pytest.fixture(scope="module")
def maria_database() -> Iterator[str]:
    with temporary_maria_database("names", "CREATE TABLE {database}.dst (id bigint)") as name:
        yield name


class Names:
    """A PostgreSQL model over `src`, and a target connection per type."""

    def __init__(self, org: Org, pg_config: dict[str, Any], schema: str) -> None:
        self.org = org
        self.schema = schema
        self.connections: dict[str, str] = {}
        self.add("pg", "postgresql", pg_config)
        model = org.client.post(
            "/api/models",
            json={
                "name": "src",
                "connection_id": self.connections["pg"],
                "configuration": {"table": f"{schema}.src"},
            },
        )
        assert model.status_code == 200, model.text
        self.model_id = model.json()["data"]["id"]

    def add(self, key: str, type_id: str, configuration: dict[str, Any]) -> None:
        response = self.org.client.post(
            "/api/connections",
            json={"name": key, "type": type_id, "configuration": configuration},
        )
        assert response.status_code == 200, response.text
        self.connections[key] = response.json()["data"]["id"]

    def create(self, on: str, target: dict[str, Any], column: str) -> Any:
        source = {"model_id": self.model_id, "field": "note"}
        key = {"model_id": self.model_id, "field": "id"}
        body = {
            "name": f"names {uuid.uuid4().hex[:6]}",
            "mode": "append",
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": self.connections[on], **target},
            "fields": [
                {"source": key, "target": "id", "new": True},
                {"source": source, "target": column, "new": True},
            ],
        }
        return self.org.client.post("/api/syncs", json=body)


@pytest.fixture
def names(org: Org, pg_config: dict[str, Any], pg_schema: str) -> Names:
    return Names(org, pg_config, pg_schema)


def _refused(response: Any, path: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["metadata"]["path"] == path, body
    message: str = body["message"]
    return message


@pytest.fixture
def maria(names: Names, mysql_config: dict[str, Any], maria_database: str) -> str:
    names.add("maria", "mysql", {**mysql_config, "dbname": maria_database})
    return maria_database


@pytest.mark.parametrize(
    ("column", "why"),
    [
        ("note ", "ends with white space"),
        ("note\t", "ends with white space"),
        ("n" * 65, "at most 64"),
        ("note\U0001f600", "Basic Multilingual Plane"),
        ("", "empty"),
    ],
)
def test_mariadb_column_names_it_refuses_are_refused(
    names: Names, maria: str, column: str, why: str
) -> None:
    response = names.create("maria", {"object": f"{maria}.dst"}, column)
    assert why in _refused(response, "fields[1].target")


@pytest.mark.parametrize("column", [" note", "n" * 64, "nöte.é", "a`b"])
def test_mariadb_column_names_it_keeps_are_saved(names: Names, maria: str, column: str) -> None:
    response = names.create("maria", {"object": f"{maria}.dst"}, column)
    assert response.status_code == 200, response.text


def test_a_new_mariadb_table_name_ending_in_a_space_is_refused(names: Names, maria: str) -> None:
    target = {"create": {"schema": maria}, "new_name": "fresh "}
    _refused(names.create("maria", target, "note"), "target.new_name")
    target = {"create": {"schema": maria, "name": "fresh\u3000"}}
    _refused(names.create("maria", target, "note"), "target.create.name")


def test_a_postgresql_column_name_longer_than_63_bytes_is_refused(names: Names) -> None:
    target = {"object": f"{names.schema}.dst"}
    assert "63" in _refused(names.create("pg", target, "é" * 32), "fields[1].target")
    assert names.create("pg", target, "n" * 63).status_code == 200
    assert names.create("pg", target, "note ").status_code == 200  # PostgreSQL keeps it


def test_a_new_table_name_with_surrounding_spaces_is_refused(names: Names) -> None:
    # The table would be created as given but looked for without the spaces.
    target = {"create": {"schema": names.schema}, "new_name": " fresh"}
    _refused(names.create("pg", target, "note"), "target.new_name")


def test_a_csv_column_name_with_surrounding_spaces_is_refused(
    names: Names, local_dir: Path
) -> None:
    names.add("files", "files", {"path": str(local_dir)})
    target = {"create": {"name": "out", "format": "csv"}}
    _refused(names.create("files", target, "note "), "fields[1].target")
    assert names.create("files", target, "note").status_code == 200
