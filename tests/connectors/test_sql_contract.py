"""Behaviours every SQL connector shares, run against PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.base import Choice, ConfigurationOption, CreationProperty, SourceItem
from syncline.connectors.sql.modes import SQL_MODES, SQL_TARGET_CAPABILITIES
from syncline.connectors.vocabulary import SyncMode
from syncline.errors import (
    BadRequest,
    InvalidSourceConfiguration,
    ObjectNotFound,
    ValidationFailed,
)
from tests.connectors.sql_fixtures import (
    SqlWorld,
    mysql_world,
    pg_world,
    sqlite_world,
)


@pytest.fixture(scope="module", params=["postgresql", "mysql", "sqlite"])
def sql_world(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SqlWorld]:
    """The shared tables in an isolated schema of each SQL database in turn."""
    if request.param == "postgresql":
        with pg_world(pg_config) as world:
            yield world
    elif request.param == "mysql":
        with mysql_world(mysql_config) as world:
            yield world
    else:
        directory: Path = tmp_path_factory.mktemp("sqlite")
        with sqlite_world(directory) as world:
            yield world


def test_check_succeeds_on_a_reachable_database(sql_world: SqlWorld) -> None:
    sql_world.connector.check()


# ------------------------------------------------------------ describe_source


def test_describe_source_without_params_lists_schemas_and_no_tables(sql_world: SqlWorld) -> None:
    described = sql_world.connector.describe_source({})

    assert Choice(sql_world.schema, sql_world.schema) in described.items["schema"].choices
    assert described.items["table"] == SourceItem(choices=[], requires_one_of=["schema"])
    assert described.items["query"] is None
    assert described.requires_one_of == ["table", "query"]
    assert described.configuration == {
        "table": ConfigurationOption("string"),
        "query": ConfigurationOption("string"),
    }


def test_describe_source_with_a_schema_lists_its_tables_and_views(sql_world: SqlWorld) -> None:
    described = sql_world.connector.describe_source({"schema": [sql_world.schema]})

    assert described.items["table"].choices == [
        Choice(sql_world.table("numbers"), "numbers"),
        Choice(sql_world.table("people"), "people"),
        Choice(sql_world.table("people_view"), "people_view"),
    ]
    assert described.items["table"].requires_one_of == ["schema"]


def test_describe_source_with_a_table_infers_its_schema(sql_world: SqlWorld) -> None:
    by_table = sql_world.connector.describe_source({"table": [sql_world.table("people")]})
    by_schema = sql_world.connector.describe_source({"schema": [sql_world.schema]})

    assert by_table == by_schema


def test_describe_source_accepts_a_query_param_unchanged(sql_world: SqlWorld) -> None:
    described = sql_world.connector.describe_source({"query": ["SELECT 1"]})

    assert described == sql_world.connector.describe_source({})


def test_describe_source_rejects_an_unknown_schema_by_name(sql_world: SqlWorld) -> None:
    with pytest.raises(ObjectNotFound, match="no_such_schema"):
        sql_world.connector.describe_source({"schema": ["no_such_schema"]})


def test_describe_source_rejects_an_unknown_table_by_name(sql_world: SqlWorld) -> None:
    with pytest.raises(ObjectNotFound, match="no_such_table"):
        sql_world.connector.describe_source({"table": [sql_world.table("no_such_table")]})


def test_describe_source_rejects_an_unknown_param_naming_the_allowed_ones(
    sql_world: SqlWorld,
) -> None:
    with pytest.raises(BadRequest, match=r"'database'.*schema, table, query"):
        sql_world.connector.describe_source({"database": ["x"]})


# ------------------------------------------------------------ source_fields


@pytest.mark.parametrize(
    "configuration",
    [{}, {"table": "x", "query": "SELECT 1"}, {"table": ""}, {"other": "x"}],
    ids=["neither", "both", "empty-table", "other-key"],
)
def test_source_fields_needs_exactly_one_of_table_or_query(
    sql_world: SqlWorld, configuration: dict[str, Any]
) -> None:
    with pytest.raises(InvalidSourceConfiguration, match=r"'table' or 'query'"):
        sql_world.connector.source_fields(configuration)


def test_source_fields_of_an_unknown_table_names_it(sql_world: SqlWorld) -> None:
    with pytest.raises(ObjectNotFound, match="missing_table"):
        sql_world.connector.source_fields({"table": sql_world.table("missing_table")})


def test_source_fields_of_a_table_report_unique_and_nullable(sql_world: SqlWorld) -> None:
    fields = sql_world.connector.source_fields({"table": sql_world.table("people")})

    assert [(f.name, f.unique, f.nullable) for f in fields] == [
        ("id", True, False),
        ("name", False, False),
        ("score", False, True),
    ]


def test_source_fields_of_a_view_are_its_columns(sql_world: SqlWorld) -> None:
    fields = sql_world.connector.source_fields({"table": sql_world.table("people_view")})

    assert [f.name for f in fields] == ["id", "name"]


def test_source_fields_of_a_query_ignore_a_trailing_semicolon(sql_world: SqlWorld) -> None:
    query = f"SELECT name, score FROM {sql_world.table('people')} WHERE id = 1 ;  "

    fields = sql_world.connector.source_fields({"query": query})

    assert [f.name for f in fields] == ["name", "score"]


# ------------------------------------------------------------ read


def test_read_a_table_returns_its_rows_with_the_fields_schema(sql_world: SqlWorld) -> None:
    configuration = {"table": sql_world.table("people")}
    fields = sql_world.connector.source_fields(configuration)

    reader = sql_world.connector.read(configuration)

    assert reader.schema == pa.schema([(f.name, f.arrow_type) for f in fields])
    assert sorted(reader.read_all().to_pylist(), key=lambda row: row["id"]) == [
        {"id": 1, "name": "Ann", "score": 10},
        {"id": 2, "name": "Bob", "score": None},
        {"id": 3, "name": "Cy", "score": 30},
    ]


def test_read_streams_batches_of_at_most_batch_size(sql_world: SqlWorld) -> None:
    reader = sql_world.connector.read({"table": sql_world.table("numbers")}, batch_size=1000)

    assert [batch.num_rows for batch in reader] == [1000, 1000, 500]


def test_read_pushes_the_limit_into_the_table_select(sql_world: SqlWorld) -> None:
    reader = sql_world.connector.read(
        {"table": sql_world.table("numbers")}, batch_size=1000, limit=1200
    )

    assert [batch.num_rows for batch in reader] == [1000, 200]


def test_read_pushes_the_limit_into_a_query(sql_world: SqlWorld) -> None:
    query = f"SELECT n FROM {sql_world.table('numbers')} WHERE n > 2000 ORDER BY n;"

    table = sql_world.connector.read({"query": query}, limit=3).read_all()

    assert table.column("n").to_pylist() == [2001, 2002, 2003]


def test_read_a_query_keeps_percent_signs_when_a_limit_is_bound(sql_world: SqlWorld) -> None:
    query = f"SELECT name FROM {sql_world.table('people')} WHERE name LIKE 'A%' AND '%' = '%'"

    table = sql_world.connector.read({"query": query}, limit=5).read_all()

    assert table.column("name").to_pylist() == ["Ann"]


def test_read_of_an_empty_result_has_the_schema_and_no_rows(sql_world: SqlWorld) -> None:
    query = f"SELECT n FROM {sql_world.table('numbers')} WHERE n < 0"

    table = sql_world.connector.read({"query": query}).read_all()

    assert table.num_rows == 0
    assert table.column_names == ["n"]


def test_read_rejects_a_non_positive_batch_size(sql_world: SqlWorld) -> None:
    with pytest.raises(BadRequest, match="batch_size"):
        sql_world.connector.read({"table": sql_world.table("people")}, batch_size=0)


# ------------------------------------------------------------ target side


def test_target_objects_list_tables_but_not_views(sql_world: SqlWorld) -> None:
    objects = {o.id: o for o in sql_world.connector.target_objects()}

    assert sql_world.table("people") in objects
    assert sql_world.table("numbers") in objects
    assert sql_world.table("people_view") not in objects
    assert objects[sql_world.table("people")].name == sql_world.table("people")
    assert objects[sql_world.table("people")].modes == SQL_MODES


def test_sql_modes_declare_identity_and_filter_support() -> None:
    modes = {m.mode: m for m in SQL_MODES}

    assert [m.mode for m in SQL_MODES] == list(SyncMode)
    assert {mode for mode, m in modes.items() if m.requires_identity} == {
        SyncMode.CREATE,
        SyncMode.UPDATE,
        SyncMode.UPDATE_OR_CREATE,
        SyncMode.REMOVE,
    }
    assert {mode for mode, m in modes.items() if m.supports_target_filters} == {
        SyncMode.UPDATE,
        SyncMode.REMOVE,
    }
    assert {mode for mode, m in modes.items() if m.supports_per_field_mode} == {
        SyncMode.UPDATE,
        SyncMode.UPDATE_OR_CREATE,
    }


def test_describe_target_of_a_view_is_not_found(sql_world: SqlWorld) -> None:
    with pytest.raises(ObjectNotFound, match="people_view"):
        sql_world.connector.describe_target(sql_world.table("people_view"))


def test_describe_target_of_an_unknown_table_is_not_found(sql_world: SqlWorld) -> None:
    with pytest.raises(ObjectNotFound, match="nope"):
        sql_world.connector.describe_target(sql_world.table("nope"))


def test_describe_target_lists_columns_with_modes_and_properties(sql_world: SqlWorld) -> None:
    described = sql_world.connector.describe_target(sql_world.table("people"))
    # SQLite assigns an INTEGER PRIMARY KEY (the rowid) itself when omitted.
    id_required = sql_world.type_id != "sqlite"

    assert described.id == described.name == sql_world.table("people")
    assert [(f.id, f.name, f.required) for f in described.fields] == [
        ("id", "id", id_required),
        ("name", "name", True),
        ("score", "score", False),
    ]
    assert described.modes == SQL_MODES
    assert described.properties == SQL_TARGET_CAPABILITIES


def test_creation_properties_are_schema_and_table_name(sql_world: SqlWorld) -> None:
    assert sql_world.connector.creation_properties() == [
        CreationProperty("schema", "Schema", enum=True),
        CreationProperty("name", "Table name", enum=False),
    ]


def test_creation_property_values_of_schema_are_the_schemas(sql_world: SqlWorld) -> None:
    values = sql_world.connector.creation_property_values("schema")

    assert Choice(sql_world.schema, sql_world.schema) in values


def test_creation_property_values_of_another_property_are_not_found(
    sql_world: SqlWorld,
) -> None:
    with pytest.raises(ObjectNotFound, match="name"):
        sql_world.connector.creation_property_values("name")


def test_describe_new_target_names_the_new_table(sql_world: SqlWorld) -> None:
    described = sql_world.connector.describe_new_target(
        {"schema": sql_world.schema, "name": "brand_new"}
    )

    assert described.id == described.name == sql_world.table("brand_new")
    assert described.fields == []
    assert described.modes == SQL_MODES
    assert described.properties == SQL_TARGET_CAPABILITIES


@pytest.mark.parametrize(
    ("properties", "path"),
    [
        ({"name": "t"}, "properties.schema"),
        ({"schema": "SCHEMA", "name": ""}, "properties.name"),
        ({"schema": "SCHEMA", "name": "   "}, "properties.name"),
        ({"schema": "SCHEMA"}, "properties.name"),
    ],
    ids=["no-schema", "empty-name", "blank-name", "no-name"],
)
def test_describe_new_target_requires_every_property(
    sql_world: SqlWorld, properties: dict[str, str], path: str
) -> None:
    properties = {k: sql_world.schema if v == "SCHEMA" else v for k, v in properties.items()}

    with pytest.raises(ValidationFailed) as caught:
        sql_world.connector.describe_new_target(properties)

    assert caught.value.path == path


def test_describe_new_target_rejects_an_unknown_schema(sql_world: SqlWorld) -> None:
    with pytest.raises(ValidationFailed, match="no_such_schema") as caught:
        sql_world.connector.describe_new_target({"schema": "no_such_schema", "name": "t"})

    assert caught.value.path == "properties.schema"


@pytest.mark.parametrize("existing", ["people", "people_view"])
def test_describe_new_target_rejects_an_existing_table(sql_world: SqlWorld, existing: str) -> None:
    with pytest.raises(ValidationFailed, match="already exists; choose it as the target"):
        sql_world.connector.describe_new_target({"schema": sql_world.schema, "name": existing})
