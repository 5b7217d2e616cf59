"""A mapping whose values can never be written is refused when the sync is saved.

The model reads a real PostgreSQL table; the targets are real PostgreSQL and
MariaDB tables, described live as every sync save does. A mapping no value of
which the target column takes answers 422 at the mapping's path; one where
some values may fail is saved with a `warning` in `problems`, and its run
writes the values that fit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Org
from tests.api.execution_fixtures import TERMINAL, pg
from tests.conftest import temporary_maria_database, temporary_pg_schema

# What these tests check is decided before the metadata store (validation against the
# model and the target), so they run on one metadata backend.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


SOURCE_DDL = (
    "CREATE TABLE {schema}.things (id bigint PRIMARY KEY, code text, amount numeric(12,4),"
    " small integer, big bigint, flag boolean, at timestamptz, day date, doc jsonb)"
)
SOURCE_ROWS = (
    "INSERT INTO {schema}.things VALUES"
    " (1, 'a', 1.2345, 1, 10, true, '2024-01-15T09:30:00Z', '2024-01-15', '{\"k\": 1}'),"
    " (2, 'b', 12.5, 2, 70000, false, '2024-01-16T09:30:00Z', '2024-01-16', '{}'),"
    " (3, 'c', 3, 3, 3000000000, NULL, NULL, NULL, NULL)"
)
PG_TARGET_DDL = (
    "CREATE TABLE {schema}.typed (id bigint PRIMARY KEY, d numeric(10,2), n integer,"
    " s smallint, flag boolean, day date, label varchar(2), doc jsonb, at timestamptz,"
    " code text, ref uuid)"
)
MARIA_TARGET_DDL = (
    "CREATE TABLE {database}.typed (id bigint PRIMARY KEY, d decimal(10,2), n int,"
    " s smallint, flag boolean, day date, at datetime, label varchar(2), code varchar(255),"
    " doc json)"
)


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    with temporary_pg_schema("types", SOURCE_DDL, SOURCE_ROWS, PG_TARGET_DDL) as schema:
        yield schema


@pytest.fixture(scope="module")
def maria_database() -> Iterator[str]:
    with temporary_maria_database("types", MARIA_TARGET_DDL) as database:
        yield database


class Types:
    """A PostgreSQL model over `things`, and PostgreSQL and MariaDB connections."""

    def __init__(
        self, org: Org, pg_config: dict[str, Any], schema: str, mysql: dict[str, Any]
    ) -> None:
        self.org = org
        self.schema = schema
        self.pg = self._connection("postgresql", pg_config)
        self.maria = self._connection("mysql", mysql)
        self.maria_database = mysql["dbname"]
        model = org.client.post(
            "/api/models",
            json={
                "name": "things",
                "connection_id": self.pg,
                "configuration": {"table": f"{schema}.things"},
            },
        )
        assert model.status_code == 200, model.text
        self.model_id = model.json()["data"]["id"]

    def _connection(self, type_id: str, configuration: dict[str, Any]) -> str:
        response = self.org.client.post(
            "/api/connections",
            json={"name": type_id, "type": type_id, "configuration": configuration},
        )
        assert response.status_code == 200, response.text
        connection_id: str = response.json()["data"]["id"]
        return connection_id

    def source(self, field: str) -> dict[str, str]:
        return {"model_id": self.model_id, "field": field}

    def body(self, *pairs: tuple[str, str], on: str = "pg", **changes: Any) -> dict[str, Any]:
        """An updateOrCreate sync of `id` and the (model field, target field) `pairs`."""
        connection, table = (
            (self.pg, f"{self.schema}.typed")
            if on == "pg"
            else (self.maria, f"{self.maria_database}.typed")
        )
        body: dict[str, Any] = {
            "name": f"things {uuid.uuid4().hex[:6]}",
            "mode": "updateOrCreate",
            "active": True,
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": connection, "object": table},
            "fields": [
                {"source": self.source("id"), "target": "id"},
                *({"source": self.source(s), "target": t} for s, t in pairs),
            ],
            "identities": {
                "mappings": [{"source": self.source("id"), "target": "id", "function": "Equality"}]
            },
        }
        body.update(changes)
        return body

    def create(self, *pairs: tuple[str, str], on: str = "pg", **changes: Any) -> Any:
        return self.org.client.post("/api/syncs", json=self.body(*pairs, on=on, **changes))

    def refused(self, path: str, *pairs: tuple[str, str], on: str = "pg", **changes: Any) -> str:
        response = self.create(*pairs, on=on, **changes)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["metadata"]["path"] == path, body
        message: str = body["message"]
        return message

    def saved(self, *pairs: tuple[str, str], on: str = "pg", **changes: Any) -> dict[str, Any]:
        response = self.create(*pairs, on=on, **changes)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture
def types(
    org: Org,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    pg_schema: str,
    maria_database: str,
) -> Types:
    return Types(org, pg_config, pg_schema, {**mysql_config, "dbname": maria_database})


def _warnings(sync: dict[str, Any]) -> list[tuple[str, str]]:
    # A warning has no severity: the SDKs know "error" alone, which stops a sync.
    return [(p["path"], p["code"]) for p in sync["problems"] if p["severity"] is None]


# ------------------------------------------------------------------ refused


@pytest.mark.parametrize("on", ["pg", "maria"])
def test_text_into_a_decimal_column_is_refused(types: Types, on: str) -> None:
    message = types.refused("fields[1]", ("code", "d"), on=on)
    assert "'code'" in message
    assert "'d'" in message
    assert "text is not read as" in message


@pytest.mark.parametrize("on", ["pg", "maria"])
def test_a_datetime_into_an_integer_column_is_refused(types: Types, on: str) -> None:
    types.refused("fields[2]", ("small", "s"), ("at", "n"), on=on)


def test_a_fraction_into_a_postgresql_integer_column_is_refused(types: Types) -> None:
    # PostgreSQL refuses "12.5000" and "3.0000" alike: no value could ever land.
    assert "fraction" in types.refused("fields[1]", ("amount", "n"))


def test_a_boolean_into_a_number_column_depends_on_the_database(types: Types) -> None:
    # PostgreSQL writes booleans as t/f, which no number column reads;
    # MariaDB's booleans are 1 and 0.
    types.refused("fields[1]", ("flag", "n"))
    assert _warnings(types.saved(("flag", "n"), on="maria")) == []


@pytest.mark.parametrize(("source", "target"), [("doc", "n"), ("code", "day"), ("day", "flag")])
def test_other_kinds_that_never_fit_are_refused(types: Types, source: str, target: str) -> None:
    types.refused("fields[1]", (source, target))


def test_an_identity_of_the_wrong_type_is_refused(types: Types) -> None:
    identities = {
        "mappings": [{"source": types.source("code"), "target": "id", "function": "Equality"}]
    }
    fields = [{"source": types.source("small"), "target": "n"}]
    types.refused("identities.mappings[0]", identities=identities, fields=fields)


# ------------------------------------------------------------------ warned


def test_values_that_fit_give_no_warning(types: Types) -> None:
    sync = types.saved(("small", "n"), ("day", "day"), ("at", "at"), ("doc", "doc"))
    assert sync["problems"] == []


def test_a_decimal_with_more_digits_than_the_column_is_saved_with_a_warning(
    types: Types,
) -> None:
    sync = types.saved(("code", "code"), ("amount", "d"))
    assert _warnings(sync) == [("fields[2]", "values_may_not_fit")]
    fetched = types.org.client.get(f"/api/syncs/{sync['id']}").json()["data"]
    assert fetched["problems"] == sync["problems"]
    assert "numeric(10,2)" in sync["problems"][0]["message"]


@pytest.mark.parametrize("on", ["pg", "maria"])
def test_text_into_a_shorter_column_and_a_timestamp_into_a_date_are_warned(
    types: Types, on: str
) -> None:
    sync = types.saved(("code", "label"), ("at", "day"), on=on)
    assert _warnings(sync) == [
        ("fields[1]", "values_may_not_fit"),
        ("fields[2]", "values_may_not_fit"),
    ]


def test_a_run_of_a_warned_sync_writes_the_values_that_fit(types: Types) -> None:
    # bigint into smallint: 10 fits, 70000 and 3000000000 do not.
    pg(f'DELETE FROM "{types.schema}".typed')
    sync = types.saved(("big", "s"), mode="create")
    assert _warnings(sync) == [("fields[1]", "values_may_not_fit")]
    started = types.org.client.post(f"/api/syncs/{sync['id']}/executions", json={})
    assert started.status_code == 200, started.text
    execution = _wait(types, sync["id"], started.json()["data"]["id"])
    assert execution["counts"]["insert"] == 1
    assert execution["counts"]["error"] == 2
    assert pg(f'SELECT id, s FROM "{types.schema}".typed WHERE id = 1') == [(1, 10)]


# ------------------------------------------------------------------ fixed values


@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("n", "abc"),
        ("n", "1.5"),
        ("n", "1.0"),
        ("n", "1e3"),
        ("n", "99999999999"),
        ("d", "123456789"),
        ("day", "not a date"),
        ("flag", "maybe"),
        ("doc", "{not json"),
        ("label", "too long"),
        ("n", True),
    ],
)
def test_a_fixed_value_the_column_cannot_hold_is_refused(
    types: Types, target: str, value: Any
) -> None:
    fixed = [{"target": target, "override_value": value}]
    types.refused("override_fields[0].override_value", override_fields=fixed)


def test_fixed_values_the_columns_hold_are_saved(types: Types) -> None:
    fixed = [
        {"target": "n", "override_value": "42"},
        {"target": "d", "override_value": "12345678.5"},
        {"target": "day", "override_value": "2024-01-15"},
        {"target": "at", "override_value": "2024-01-15T09:30:00Z"},
        {"target": "flag", "override_value": "true"},
        {"target": "doc", "override_value": '{"a": 1}'},
        {"target": "s", "override_value": 7},
    ]
    assert types.saved(override_fields=fixed)["problems"] == []


def test_a_fixed_value_for_a_column_syncline_cannot_check_is_warned(types: Types) -> None:
    sync = types.saved(override_fields=[{"target": "ref", "override_value": "not-a-uuid"}])
    assert _warnings(sync) == [("override_fields[0].override_value", "fixed_value_unchecked")]


@pytest.mark.parametrize(
    ("target", "value", "fits"),
    [
        ("flag", "true", False),  # MariaDB's booleans read 1 and 0 only
        ("flag", "1", True),
        ("flag", True, True),
        ("at", "2024-01-15T09:30:00Z", False),  # MariaDB reads no zone offset
        ("at", "2024-01-15 09:30:00", True),
    ],
)
def test_fixed_values_follow_what_mariadb_reads(
    types: Types, target: str, value: Any, fits: bool
) -> None:
    fixed = [{"target": target, "override_value": value}]
    if fits:
        types.saved(on="maria", override_fields=fixed)
    else:
        types.refused("override_fields[0].override_value", on="maria", override_fields=fixed)


# ------------------------------------------------------------------ value overrides


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("amount", "abc"),
        ("amount", "1.23456"),  # numeric(12,4) keeps four digits after the point
        ("small", "2.5"),
        ("flag", "yes"),
        ("day", "2024-01-15T10:00:00"),
        ("at", "yesterday"),
    ],
)
def test_an_override_the_engine_cannot_convert_is_refused(
    types: Types, field: str, replacement: Any
) -> None:
    overrides = [{"field": types.source(field), "override": replacement}]
    types.refused("overrides[0].override", overrides=overrides)


def test_overrides_that_convert_are_saved(types: Types) -> None:
    overrides = [
        {"field": types.source("amount"), "override": "1.2345"},
        {"field": types.source("small"), "override": 5},
        {"field": types.source("flag"), "override": "false"},
        {"field": types.source("day"), "override": "2024-01-15"},
        {"field": types.source("code"), "override": 3},
    ]
    types.saved(overrides=overrides)


def test_a_boolean_filter_compares_with_a_boolean(types: Types) -> None:
    conditions = [{"source": types.source("flag"), "function": "Equality", "value": "yes"}]
    types.refused("model_filters.conditions[0].value", model_filters={"conditions": conditions})


def _wait(types: Types, sync_id: str, execution_id: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution: dict[str, Any] = types.org.client.get(
            f"/api/syncs/{sync_id}/executions/{execution_id}"
        ).json()["data"]
        if execution["status"] in TERMINAL:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not end within 60 s")
