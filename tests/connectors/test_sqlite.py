"""The `sqlite` connector against real SQLite files in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from syncline.connectors.base import Capabilities
from syncline.connectors.registry import connector_class
from syncline.connectors.sqlite import SqliteConfig, SqliteConnector
from syncline.connectors.vocabulary import FILTER_FUNCTIONS_BY_TYPE, FieldType
from syncline.errors import (
    BadRequest,
    ConnectionCheckFailed,
    ConnectorError,
    InvalidSourceConfiguration,
)
from tests.connectors.sql_fixtures import SqlWorld, make_connector, sqlite_world

TYPES_DDL = [
    """CREATE TABLE {s}.types (
        id INTEGER PRIMARY KEY,
        big BIGINT,
        price DECIMAL(10,2),
        ratio REAL,
        score DOUBLE PRECISION,
        note TEXT,
        code VARCHAR(20) UNIQUE,
        active BOOLEAN,
        created_at DATETIME,
        day DATE,
        doc JSON,
        raw BLOB,
        untyped,
        required_name TEXT NOT NULL,
        defaulted INTEGER NOT NULL DEFAULT 7,
        doubled INTEGER GENERATED ALWAYS AS (id * 2) STORED,
        halved INTEGER AS (id / 2)
    )""",
    """INSERT INTO {s}.types (id, big, price, ratio, score, note, code, active, created_at,
        day, doc, raw, untyped, required_name) VALUES (1, 9007199254740993, 12.34, 1.5,
        2.25, 'hello', 'A-1', 1, '2024-01-02 03:04:05', '2024-01-02', '{{"a": 1}}',
        x'0001', 42, 'req')""",
    "INSERT INTO {s}.types (id, required_name) VALUES (2, 'only')",
    "CREATE TABLE {s}.messy (n INT)",
    "INSERT INTO {s}.messy VALUES (1), ('not a number')",
]

EXPECTED_TYPES: dict[str, tuple[FieldType, str, pa.DataType]] = {
    "id": (FieldType.NUMBER, "INTEGER", pa.int64()),
    "big": (FieldType.NUMBER, "BIGINT", pa.int64()),
    "price": (FieldType.NUMBER, "DECIMAL(10,2)", pa.float64()),
    "ratio": (FieldType.NUMBER, "REAL", pa.float64()),
    "score": (FieldType.NUMBER, "DOUBLE PRECISION", pa.float64()),
    "note": (FieldType.STRING, "TEXT", pa.string()),
    "code": (FieldType.STRING, "VARCHAR(20)", pa.string()),
    "active": (FieldType.BOOLEAN, "BOOLEAN", pa.bool_()),
    "created_at": (FieldType.DATETIME, "DATETIME", pa.string()),
    "day": (FieldType.DATETIME, "DATE", pa.string()),
    "doc": (FieldType.OBJECT, "JSON", pa.string()),
    "raw": (FieldType.BINARY, "BLOB", pa.binary()),
    "untyped": (FieldType.STRING, "", pa.string()),
    "required_name": (FieldType.STRING, "TEXT", pa.string()),
    "defaulted": (FieldType.NUMBER, "INTEGER", pa.int64()),
    "doubled": (FieldType.NUMBER, "INTEGER", pa.int64()),
    "halved": (FieldType.NUMBER, "INTEGER", pa.int64()),
}


@pytest.fixture(scope="module")
def sqlite_types(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlWorld]:
    """A SQLite file with the shared tables plus `types` and `messy`."""
    with sqlite_world(tmp_path_factory.mktemp("sqlite_types"), TYPES_DDL) as world:
        yield world


def connector(path: Path | str) -> Any:
    return make_connector("sqlite", {"path": str(path)})


def test_sqlite_is_registered_as_source_and_destination() -> None:
    cls = connector_class("sqlite")

    assert cls is SqliteConnector
    assert cls.capabilities == Capabilities(source=True, destination=True)
    assert cls.parameter_fields == ()


def test_config_schema_has_a_titled_path() -> None:
    properties = SqliteConfig.model_json_schema()["properties"]

    assert list(properties) == ["path"]
    assert properties["path"]["title"]
    assert properties["path"]["description"]


def test_check_fails_for_a_missing_file_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"

    with pytest.raises(ConnectionCheckFailed, match="does not exist"):
        connector(missing).check()

    assert not missing.exists()


def test_check_fails_for_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file, only some text" * 20)

    with pytest.raises(ConnectionCheckFailed, match="not a database"):
        connector(garbage).check()


def test_parameter_values_are_a_bad_request(sqlite_types: SqlWorld) -> None:
    with pytest.raises(BadRequest, match="none"):
        sqlite_types.connector.parameter_values("path")


def test_describe_source_lists_main_as_the_only_schema(sqlite_types: SqlWorld) -> None:
    described = sqlite_types.connector.describe_source({})

    assert [c.value for c in described.items["schema"].choices] == ["main"]


def test_a_table_without_schema_is_in_main(sqlite_types: SqlWorld) -> None:
    plain = sqlite_types.connector.source_fields({"table": "types"})
    qualified = sqlite_types.connector.source_fields({"table": "main.types"})

    assert plain == qualified


def test_source_fields_of_a_table_follow_the_affinity_rules(sqlite_types: SqlWorld) -> None:
    fields = sqlite_types.connector.source_fields({"table": "main.types"})

    assert {f.name: (f.type, f.remote_type, f.arrow_type) for f in fields} == EXPECTED_TYPES
    assert {f.name for f in fields if f.unique} == {"id", "code"}


def test_source_fields_of_a_query_use_declared_then_sampled_types(
    sqlite_types: SqlWorld,
) -> None:
    query = "SELECT note, id + 1 AS next_id, ratio * 2 AS twice, NULL AS blank FROM types"

    fields = sqlite_types.connector.source_fields({"query": query})

    assert [(f.name, f.type, f.remote_type) for f in fields] == [
        ("note", FieldType.STRING, "TEXT"),
        ("next_id", FieldType.NUMBER, "INTEGER"),
        ("twice", FieldType.NUMBER, "REAL"),
        ("blank", FieldType.STRING, ""),
    ]


def test_source_fields_of_a_bad_query_give_the_database_message(
    sqlite_types: SqlWorld,
) -> None:
    with pytest.raises(InvalidSourceConfiguration) as caught:
        sqlite_types.connector.source_fields({"query": "SELECT * FROM nope"})

    assert caught.value.message == "no such table: nope"


def test_a_query_that_writes_is_refused_and_writes_nothing(sqlite_types: SqlWorld) -> None:
    query = "DELETE FROM people RETURNING id"

    with pytest.raises(InvalidSourceConfiguration):
        sqlite_types.connector.read({"query": query}).read_all()

    assert sqlite_types.connector.read({"table": "people"}).read_all().num_rows == 3


def test_read_converts_values_as_stored(sqlite_types: SqlWorld) -> None:
    rows = sqlite_types.connector.read({"table": "types"}).read_all().to_pylist()

    full, sparse = sorted(rows, key=lambda row: row["id"])
    assert full == {
        "id": 1,
        "big": 9007199254740993,
        "price": 12.34,
        "ratio": 1.5,
        "score": 2.25,
        "note": "hello",
        "code": "A-1",
        "active": True,
        "created_at": "2024-01-02 03:04:05",
        "day": "2024-01-02",
        "doc": '{"a": 1}',
        "raw": b"\x00\x01",
        "untyped": "42",
        "required_name": "req",
        "defaulted": 7,
        "doubled": 2,
        "halved": 0,
    }
    assert sparse == {
        **dict.fromkeys(EXPECTED_TYPES),
        "id": 2,
        "required_name": "only",
        "defaulted": 7,
        "doubled": 4,
        "halved": 1,
    }


def test_read_of_a_value_not_matching_its_column_names_the_column(
    sqlite_types: SqlWorld,
) -> None:
    with pytest.raises(ConnectorError, match="column 'n'"):
        sqlite_types.connector.read({"table": "messy"}).read_all()


def test_describe_target_flags_required_generated_and_identity_support(
    sqlite_types: SqlWorld,
) -> None:
    fields = {f.id: f for f in sqlite_types.connector.describe_target("main.types").fields}

    assert {name for name, f in fields.items() if f.required} == {"required_name"}
    assert {name for name, f in fields.items() if not f.createable} == {"doubled", "halved"}
    assert {name for name, f in fields.items() if not f.updateable} == {"doubled", "halved"}
    assert {name for name, f in fields.items() if not f.supports_identity} == {"doc", "raw"}
    for name, f in fields.items():
        assert f.type == EXPECTED_TYPES[name][0]
        assert f.filter_functions == FILTER_FUNCTIONS_BY_TYPE[f.type]
