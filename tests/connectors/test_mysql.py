"""The `mysql` connector against the real MariaDB server."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.base import Capabilities, Choice
from syncline.connectors.mysql import MysqlConfig, MysqlConnector
from syncline.connectors.registry import connector_class
from syncline.connectors.vocabulary import FILTER_FUNCTIONS_BY_TYPE, FieldType
from syncline.errors import (
    BadRequest,
    ConnectionCheckFailed,
    InvalidSourceConfiguration,
    ValidationFailed,
)
from tests.connectors.sql_fixtures import (
    SqlWorld,
    eventually,
    make_connector,
    mysql_admin,
    mysql_connection_alive,
    mysql_world,
    unique_name,
)

SECRET = "Xyzzy-Secret-Pw-42"

TYPES_DDL = [
    """CREATE TABLE {s}.types (
        id int PRIMARY KEY,
        small smallint,
        big bigint,
        ubig bigint unsigned,
        price decimal(10,2),
        ratio float,
        score double,
        note text,
        code varchar(20) UNIQUE,
        flag char(3),
        active tinyint(1),
        bitflag bit(1),
        created_at timestamp NULL,
        local_at datetime,
        day date,
        doc json,
        raw blob,
        vb varbinary(16),
        tm time,
        yr year,
        mood enum('happy', 'sad'),
        required_name varchar(20) NOT NULL,
        defaulted int NOT NULL DEFAULT 7,
        doubled int AS (id * 2) STORED
    )""",
    # TIMESTAMP values are given in +02:00 and stored in UTC.
    "SET time_zone = '+02:00'",
    """INSERT INTO {s}.types (id, small, big, ubig, price, ratio, score, note, code, flag,
        active, bitflag, created_at, local_at, day, doc, raw, vb, tm, yr, mood,
        required_name) VALUES (1, 2, 9007199254740993, 18446744073709551615, 12.34, 1.5,
        2.25, 'hello', 'A-1', 'abc', 1, b'1', '2024-01-02 05:04:05', '2024-01-02 03:04:05',
        '2024-01-02', '{{"a": 1}}', x'0001', x'ff', '12:34:56', 2024, 'happy', 'req')""",
    "SET time_zone = '+00:00'",
    "INSERT INTO {s}.types (id, required_name) VALUES (2, 'only')",
    "CREATE TABLE {s}.autos (id int AUTO_INCREMENT PRIMARY KEY, v int AS (id + 1) VIRTUAL)",
]

# column -> (field type, table remote type, arrow type)
EXPECTED_TYPES: dict[str, tuple[FieldType, str, pa.DataType]] = {
    "id": (FieldType.NUMBER, "int(11)", pa.int64()),
    "small": (FieldType.NUMBER, "smallint(6)", pa.int64()),
    "big": (FieldType.NUMBER, "bigint(20)", pa.int64()),
    "ubig": (FieldType.NUMBER, "bigint(20) unsigned", pa.uint64()),
    "price": (FieldType.NUMBER, "decimal(10,2)", pa.decimal128(10, 2)),
    "ratio": (FieldType.NUMBER, "float", pa.float64()),
    "score": (FieldType.NUMBER, "double", pa.float64()),
    "note": (FieldType.STRING, "text", pa.string()),
    "code": (FieldType.STRING, "varchar(20)", pa.string()),
    "flag": (FieldType.STRING, "char(3)", pa.string()),
    "active": (FieldType.BOOLEAN, "tinyint(1)", pa.bool_()),
    "bitflag": (FieldType.BOOLEAN, "bit(1)", pa.bool_()),
    "created_at": (FieldType.DATETIME, "timestamp", pa.timestamp("us", tz="UTC")),
    "local_at": (FieldType.DATETIME, "datetime", pa.timestamp("us")),
    "day": (FieldType.DATETIME, "date", pa.date32()),
    "doc": (FieldType.OBJECT, "json", pa.string()),
    "raw": (FieldType.BINARY, "blob", pa.binary()),
    "vb": (FieldType.BINARY, "varbinary(16)", pa.binary()),
    "tm": (FieldType.STRING, "time", pa.string()),
    "yr": (FieldType.NUMBER, "year(4)", pa.int64()),
    "mood": (FieldType.STRING, "enum('happy','sad')", pa.string()),
    "required_name": (FieldType.STRING, "varchar(20)", pa.string()),
    "defaulted": (FieldType.NUMBER, "int(11)", pa.int64()),
    "doubled": (FieldType.NUMBER, "int(11)", pa.int64()),
}

# A query's result metadata cannot tell MariaDB's JSON (a longtext alias) from
# text, and names an enum without its values.
QUERY_DIFFERENCES: dict[str, tuple[FieldType, str, pa.DataType]] = {
    "doc": (FieldType.STRING, "longtext", pa.string()),
    "mood": (FieldType.STRING, "enum", pa.string()),
}


@pytest.fixture(scope="module")
def mysql_types(mysql_config: dict[str, Any]) -> Iterator[SqlWorld]:
    """An isolated database with the shared tables plus `types` and `autos`."""
    with mysql_world(mysql_config, TYPES_DDL) as world:
        yield world


def connector(mysql_config: dict[str, Any], **changes: Any) -> Any:
    return make_connector("mysql", {**mysql_config, **changes})


# ------------------------------------------------------------ registration and config


def test_mysql_is_registered_as_source_and_destination() -> None:
    cls = connector_class("mysql")

    assert cls is MysqlConnector
    assert cls.capabilities == Capabilities(source=True, destination=True)
    assert cls.parameter_fields == ("dbname",)


def test_config_schema_has_polytomic_keys_with_titles_and_a_secret_password() -> None:
    properties = MysqlConfig.model_json_schema()["properties"]

    assert list(properties) == ["hostname", "port", "dbname", "account", "passwd"]
    assert all(p.get("title") and p.get("description") for p in properties.values())
    assert MysqlConfig.secret_fields() == frozenset({"passwd"})
    assert properties["port"]["default"] == 3306


# ------------------------------------------------------------ check


def test_check_reports_a_refused_connection_with_host_and_port(
    mysql_config: dict[str, Any],
) -> None:
    with pytest.raises(ConnectionCheckFailed) as caught:
        connector(mysql_config, port=3399).check()

    assert caught.value.message == "could not connect to 127.0.0.1:3399: connection refused"


def test_check_reports_an_unknown_database(mysql_config: dict[str, Any]) -> None:
    with pytest.raises(ConnectionCheckFailed) as caught:
        connector(mysql_config, dbname="no_such_db").check()

    assert caught.value.message == "Unknown database 'no_such_db'"


@pytest.fixture(scope="module")
def mysql_user(mysql_config: dict[str, Any]) -> Iterator[str]:
    """An account whose password is `SECRET`, allowed to use the test database."""
    user = unique_name("sl_user")
    with mysql_admin(mysql_config) as cursor:
        cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'")
        try:
            cursor.execute(f"GRANT SELECT ON `{mysql_config['dbname']}`.* TO '{user}'@'%'")
            yield user
        finally:
            cursor.execute(f"DROP USER '{user}'@'%'")


def test_check_succeeds_with_the_right_password(
    mysql_config: dict[str, Any], mysql_user: str
) -> None:
    connector(mysql_config, account=mysql_user, passwd=SECRET).check()


def test_check_reports_access_denied_for_a_wrong_password(
    mysql_config: dict[str, Any], mysql_user: str
) -> None:
    wrong = "Wrong-" + SECRET

    with pytest.raises(ConnectionCheckFailed) as caught:
        connector(mysql_config, account=mysql_user, passwd=wrong).check()

    assert caught.value.message.startswith(f"Access denied for user '{mysql_user}'@")
    assert wrong not in str(caught.value)


def test_check_scrubs_the_password_from_messages(
    mysql_config: dict[str, Any], mysql_user: str
) -> None:
    with pytest.raises(ConnectionCheckFailed) as caught:
        connector(mysql_config, account=mysql_user, dbname=SECRET, passwd=SECRET).check()

    assert SECRET not in str(caught.value)
    assert caught.value.message == (
        f"Access denied for user '{mysql_user}'@'%' to database '********'"
    )


# ------------------------------------------------------------ parameter values


def test_parameter_values_list_databases_without_system_ones(
    mysql_config: dict[str, Any], mysql_types: SqlWorld
) -> None:
    values = [c.value for c in connector(mysql_config).parameter_values("dbname").values]

    assert "test" in values
    assert mysql_types.schema in values
    assert not {"information_schema", "mysql", "performance_schema", "sys"} & set(values)


def test_parameter_values_are_narrowed_by_a_case_insensitive_query(
    mysql_config: dict[str, Any], mysql_types: SqlWorld
) -> None:
    values = connector(mysql_config).parameter_values("dbname", mysql_types.schema.upper())

    assert values.values == [Choice(mysql_types.schema, mysql_types.schema)]


def test_parameter_values_of_another_parameter_are_a_bad_request(
    mysql_config: dict[str, Any],
) -> None:
    with pytest.raises(BadRequest, match="dbname"):
        connector(mysql_config).parameter_values("database")


# ------------------------------------------------------------ describe_source / fields


def test_describe_source_lists_databases_as_schemas(mysql_types: SqlWorld) -> None:
    schemas = [c.value for c in mysql_types.connector.describe_source({}).items["schema"].choices]

    assert mysql_types.schema in schemas
    assert "mysql" not in schemas


def test_a_table_without_database_is_in_the_configured_dbname(mysql_types: SqlWorld) -> None:
    fields = mysql_types.connector.source_fields({"table": "people"})

    assert [f.name for f in fields] == ["id", "name", "score"]


def test_source_fields_of_a_table_map_every_column_type(mysql_types: SqlWorld) -> None:
    fields = mysql_types.connector.source_fields({"table": mysql_types.table("types")})

    assert {f.name: (f.type, f.remote_type, f.arrow_type) for f in fields} == EXPECTED_TYPES
    assert {f.name for f in fields if f.unique} == {"id", "code"}
    assert {f.name for f in fields if not f.nullable} == {"id", "required_name", "defaulted"}


def test_source_fields_of_a_query_take_types_from_the_result_metadata(
    mysql_types: SqlWorld,
) -> None:
    query = f"SELECT * FROM {mysql_types.table('types')} WHERE id < 0"

    fields = mysql_types.connector.source_fields({"query": query})

    assert {f.name: (f.type, f.remote_type, f.arrow_type) for f in fields} == {
        **EXPECTED_TYPES,
        **QUERY_DIFFERENCES,
    }


def test_source_fields_of_a_query_do_not_run_it(mysql_types: SqlWorld) -> None:
    query = f"SELECT SLEEP(3) AS slept FROM {mysql_types.table('people')}"
    started = time.monotonic()

    fields = mysql_types.connector.source_fields({"query": query})

    assert time.monotonic() - started < 2
    assert [f.name for f in fields] == ["slept"]


def test_source_fields_of_a_bad_query_give_the_database_message(
    mysql_types: SqlWorld,
) -> None:
    with pytest.raises(InvalidSourceConfiguration) as caught:
        mysql_types.connector.source_fields({"query": "SELECT * FROM nope"})

    assert caught.value.message == f"Table '{mysql_types.schema}.nope' doesn't exist"


# ------------------------------------------------------------ read


def test_read_converts_every_column_type(mysql_types: SqlWorld) -> None:
    table = mysql_types.connector.read({"table": mysql_types.table("types")}).read_all()

    full, sparse = sorted(table.to_pylist(), key=lambda row: row["id"])
    assert full == {
        "id": 1,
        "small": 2,
        "big": 9007199254740993,
        "ubig": 18446744073709551615,
        "price": Decimal("12.34"),
        "ratio": 1.5,
        "score": 2.25,
        "note": "hello",
        "code": "A-1",
        "flag": "abc",
        "active": True,
        "bitflag": True,
        "created_at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "local_at": dt.datetime(2024, 1, 2, 3, 4, 5),
        "day": dt.date(2024, 1, 2),
        "doc": '{"a": 1}',
        "raw": b"\x00\x01",
        "vb": b"\xff",
        "tm": "12:34:56",
        "yr": 2024,
        "mood": "happy",
        "required_name": "req",
        "defaulted": 7,
        "doubled": 2,
    }
    assert sparse == {
        **dict.fromkeys(EXPECTED_TYPES),
        "id": 2,
        "required_name": "only",
        "defaulted": 7,
        "doubled": 4,
    }


def test_read_closes_the_connection_when_exhausted(
    mysql_types: SqlWorld, mysql_config: dict[str, Any]
) -> None:
    query = f"SELECT CONNECTION_ID() AS cid, n FROM {mysql_types.table('numbers')}"
    reader = mysql_types.connector.read({"query": query}, batch_size=1000)
    cid = reader.read_next_batch().column("cid")[0].as_py()
    assert mysql_connection_alive(mysql_config, cid)

    for _ in reader:
        pass

    assert eventually(lambda: not mysql_connection_alive(mysql_config, cid))


def test_read_closes_the_connection_when_the_reader_is_dropped(
    mysql_types: SqlWorld, mysql_config: dict[str, Any]
) -> None:
    query = f"SELECT CONNECTION_ID() AS cid, n FROM {mysql_types.table('numbers')}"
    reader = mysql_types.connector.read({"query": query}, batch_size=100)
    cid = reader.read_next_batch().column("cid")[0].as_py()

    reader.close()
    del reader
    gc.collect()

    assert eventually(lambda: not mysql_connection_alive(mysql_config, cid))


# ------------------------------------------------------------ target side


def test_describe_target_flags_required_generated_and_identity_support(
    mysql_types: SqlWorld,
) -> None:
    described = mysql_types.connector.describe_target(mysql_types.table("types"))
    fields = {f.id: f for f in described.fields}

    assert {name for name, f in fields.items() if f.required} == {"id", "required_name"}
    assert {name for name, f in fields.items() if not f.createable} == {"doubled"}
    assert {name for name, f in fields.items() if not f.updateable} == {"doubled"}
    assert {name for name, f in fields.items() if not f.supports_identity} == {
        "doc",
        "raw",
        "vb",
    }
    for name, f in fields.items():
        assert f.type == EXPECTED_TYPES[name][0]
        assert f.filter_functions == FILTER_FUNCTIONS_BY_TYPE[f.type]


def test_describe_target_treats_auto_increment_as_defaulted(mysql_types: SqlWorld) -> None:
    described = mysql_types.connector.describe_target(mysql_types.table("autos"))
    fields = {f.id: f for f in described.fields}

    assert (fields["id"].required, fields["id"].createable) == (False, True)
    assert (fields["v"].required, fields["v"].createable) == (False, False)


def test_describe_new_target_rejects_a_name_longer_than_mysql_allows(
    mysql_types: SqlWorld,
) -> None:
    with pytest.raises(ValidationFailed, match="longer than 64") as caught:
        mysql_types.connector.describe_new_target({"schema": mysql_types.schema, "name": "x" * 65})

    assert caught.value.path == "properties.name"
