"""The `files` connector against real CSV, JSON Lines and Parquet files in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from syncline.connectors.base import Capabilities, Choice, CreationProperty
from syncline.connectors.files import FilesConfig, FilesConnector
from syncline.connectors.registry import connector_class
from syncline.connectors.vocabulary import (
    FILTER_FUNCTIONS_BY_TYPE,
    FieldType,
    IdentityFunction,
    SyncMode,
)
from syncline.errors import (
    BadRequest,
    ConnectionCheckFailed,
    ConnectorError,
    InvalidSourceConfiguration,
    ObjectNotFound,
    ValidationFailed,
)

UTC = dt.UTC

CSV_TEXT = (
    "id,price,name,active,created_at,day\n"
    "1,1.5,Ann,true,2024-01-02 03:04:05,2024-01-02\n"
    "2,2.25,Bob,false,2024-02-03 04:05:06,2024-02-03\n"
)

JSONL_ROWS = [
    {
        "id": 1,
        "price": 1.5,
        "name": "Ann",
        "active": True,
        "created_at": "2024-01-02T03:04:05Z",
        "day": "2024-01-02",
        "tags": ["a", "b"],
        "address": {"city": "Oslo"},
    },
    {
        "id": 2,
        "price": 2.25,
        "name": "Bob",
        "active": False,
        "created_at": "2024-02-03T04:05:06Z",
        "day": "2024-02-03",
        "tags": [],
        "address": {"city": "Rome"},
    },
]

PARQUET_TABLE = pa.table(
    {
        "id": pa.array([1, 2], pa.int64()),
        "price": pa.array([1.5, 2.25], pa.float64()),
        "name": pa.array(["Ann", "Bob"], pa.string()),
        "active": pa.array([True, False], pa.bool_()),
        "created_at": pa.array(
            [
                dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        "day": pa.array([dt.date(2024, 1, 2), dt.date(2024, 2, 3)], pa.date32()),
        "scores": pa.array([[1, 2], [3]], pa.list_(pa.int64())),
    }
)


def write_csv(directory: Path, name: str = "people.csv", text: str = CSV_TEXT) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def write_jsonl(
    directory: Path, name: str = "people.jsonl", rows: list[dict[str, object]] | None = None
) -> Path:
    path = directory / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows or JSONL_ROWS), encoding="utf-8")
    return path


def write_parquet(
    directory: Path, name: str = "people.parquet", table: pa.Table = PARQUET_TABLE
) -> Path:
    path = directory / name
    pq.write_table(table, path)
    return path


def connector(directory: Path) -> FilesConnector:
    return FilesConnector(FilesConfig(path=str(directory)))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


@pytest.fixture
def files(data_dir: Path) -> FilesConnector:
    write_csv(data_dir)
    write_jsonl(data_dir)
    write_parquet(data_dir)
    return connector(data_dir)


def fields_by_name(conn: FilesConnector, name: str) -> dict[str, tuple[FieldType, str]]:
    return {f.name: (f.type, f.remote_type) for f in conn.source_fields({"file": name})}


# ---------------------------------------------------------------- declaration


def test_registry_resolves_files_to_the_connector() -> None:
    assert connector_class("files") is FilesConnector


def test_connector_declares_source_and_destination() -> None:
    assert FilesConnector.type_id == "files"
    assert FilesConnector.name == "Files"
    assert FilesConnector.capabilities == Capabilities(source=True, destination=True)
    assert FilesConnector.config_model is FilesConfig
    caps = FilesConnector.target_capabilities
    assert caps.supports_field_creation
    assert caps.target_creator
    assert caps.new_target_label == "New file"
    assert not caps.supports_target_filters


def test_config_schema_has_a_titled_path() -> None:
    schema = FilesConfig.model_json_schema()
    assert schema["required"] == ["path"]
    assert schema["properties"]["path"]["title"] == "Directory"
    assert schema["properties"]["path"]["description"]


# ---------------------------------------------------------------- check


def test_check_passes_for_a_readable_writable_directory(data_dir: Path) -> None:
    connector(data_dir).check()


def test_check_fails_for_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConnectionCheckFailed, match=f"directory {missing} does not exist"):
        connector(missing).check()


def test_check_fails_for_a_file_path(data_dir: Path) -> None:
    path = write_csv(data_dir)
    with pytest.raises(ConnectionCheckFailed, match=f"{path} is not a directory"):
        connector(path).check()


# ---------------------------------------------------------------- describe_source


def test_describe_source_lists_supported_files_sorted_and_ignores_others(data_dir: Path) -> None:
    write_parquet(data_dir, "b.parquet")
    write_csv(data_dir, "a.csv")
    write_jsonl(data_dir, "c.jsonl")
    write_jsonl(data_dir, "d.ndjson")
    (data_dir / "notes.txt").write_text("hello")
    (data_dir / ".hidden.csv").write_text(CSV_TEXT)
    (data_dir / "sub.csv").mkdir()
    description = connector(data_dir).describe_source({})
    names = ["a.csv", "b.parquet", "c.jsonl", "d.ndjson"]
    choices = [Choice(name, name) for name in names]
    assert description.items["file"] is not None
    assert description.items["file"].choices == choices
    assert description.requires_one_of == ["file"]
    assert description.configuration["file"].type == "string"
    assert description.configuration["file"].choices == choices


def test_describe_source_accepts_an_existing_file_param(files: FilesConnector) -> None:
    description = files.describe_source({"file": ["people.csv"]})
    assert description.requires_one_of == ["file"]


def test_describe_source_missing_file_param_is_object_not_found(files: FilesConnector) -> None:
    with pytest.raises(ObjectNotFound, match=r"'nope\.csv'"):
        files.describe_source({"file": ["nope.csv"]})


def test_describe_source_refuses_unknown_param_naming_allowed_keys(files: FilesConnector) -> None:
    with pytest.raises(BadRequest, match=r"'table'.*allowed: 'file'"):
        files.describe_source({"table": ["x"]})


def test_describe_source_of_a_missing_directory_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConnectorError, match=f"directory {missing} does not exist"):
        connector(missing).describe_source({})


# ---------------------------------------------------------------- path safety


@pytest.mark.parametrize("name", ["../x.csv", "sub/../../x.csv", "..", "a/b.csv"])
def test_traversal_in_a_file_name_is_refused(tmp_path: Path, data_dir: Path, name: str) -> None:
    write_csv(tmp_path, "x.csv")
    with pytest.raises(BadRequest, match="path"):
        connector(data_dir).source_fields({"file": name})


def test_absolute_path_is_refused(tmp_path: Path, data_dir: Path) -> None:
    outside = write_csv(tmp_path, "x.csv")
    with pytest.raises(BadRequest, match="absolute path") as info:
        connector(data_dir).read({"file": str(outside)})
    assert info.value.metadata == {"file": str(outside)}


def test_symlink_pointing_outside_is_refused_and_not_listed(tmp_path: Path, data_dir: Path) -> None:
    outside = write_csv(tmp_path, "secret.csv")
    (data_dir / "link.csv").symlink_to(outside)
    conn = connector(data_dir)
    with pytest.raises(BadRequest, match="resolves outside"):
        conn.source_fields({"file": "link.csv"})
    with pytest.raises(BadRequest, match="resolves outside"):
        conn.describe_target("link.csv")
    assert conn.describe_source({}).configuration["file"].choices == []


def test_symlink_pointing_inside_is_usable(data_dir: Path) -> None:
    write_csv(data_dir, "real.csv")
    (data_dir / "alias.csv").symlink_to(data_dir / "real.csv")
    conn = connector(data_dir)
    assert [c.value for c in conn.describe_source({}).configuration["file"].choices] == [
        "alias.csv",
        "real.csv",
    ]
    assert conn.read({"file": "alias.csv"}).read_all().num_rows == 2


def test_glob_characters_in_a_file_name_are_refused(data_dir: Path) -> None:
    write_csv(data_dir, "a.csv")
    with pytest.raises(BadRequest, match=r"\*"):
        connector(data_dir).read({"file": "*.csv"})


# ---------------------------------------------------------------- source_fields


def test_csv_fields_are_typed(files: FilesConnector) -> None:
    assert fields_by_name(files, "people.csv") == {
        "id": (FieldType.NUMBER, "BIGINT"),
        "price": (FieldType.NUMBER, "DOUBLE"),
        "name": (FieldType.STRING, "VARCHAR"),
        "active": (FieldType.BOOLEAN, "BOOLEAN"),
        "created_at": (FieldType.DATETIME, "TIMESTAMP"),
        "day": (FieldType.DATETIME, "DATE"),
    }


def test_jsonl_fields_are_typed(files: FilesConnector) -> None:
    assert fields_by_name(files, "people.jsonl") == {
        "id": (FieldType.NUMBER, "BIGINT"),
        "price": (FieldType.NUMBER, "DOUBLE"),
        "name": (FieldType.STRING, "VARCHAR"),
        "active": (FieldType.BOOLEAN, "BOOLEAN"),
        "created_at": (FieldType.DATETIME, "TIMESTAMP WITH TIME ZONE"),
        "day": (FieldType.DATETIME, "DATE"),
        "tags": (FieldType.ARRAY, "VARCHAR[]"),
        "address": (FieldType.OBJECT, "STRUCT(city VARCHAR)"),
    }


def test_parquet_fields_are_typed(files: FilesConnector) -> None:
    fields = files.source_fields({"file": "people.parquet"})
    assert {f.name: (f.type, f.remote_type) for f in fields} == {
        "id": (FieldType.NUMBER, "BIGINT"),
        "price": (FieldType.NUMBER, "DOUBLE"),
        "name": (FieldType.STRING, "VARCHAR"),
        "active": (FieldType.BOOLEAN, "BOOLEAN"),
        "created_at": (FieldType.DATETIME, "TIMESTAMP WITH TIME ZONE"),
        "day": (FieldType.DATETIME, "DATE"),
        "scores": (FieldType.ARRAY, "BIGINT[]"),
    }
    assert {f.name: f.arrow_type for f in fields} == {
        "id": pa.int64(),
        "price": pa.float64(),
        "name": pa.string(),
        "active": pa.bool_(),
        "created_at": pa.timestamp("us", tz="UTC"),
        "day": pa.date32(),
        "scores": pa.list_(pa.field("scores", pa.int64())),
    }
    assert all(f.nullable for f in fields)


def test_source_fields_requires_the_file_key(files: FilesConnector) -> None:
    with pytest.raises(InvalidSourceConfiguration, match="needs 'file'"):
        files.source_fields({})


def test_source_fields_refuses_other_keys(files: FilesConnector) -> None:
    with pytest.raises(InvalidSourceConfiguration, match="'query'"):
        files.source_fields({"file": "people.csv", "query": "select 1"})


def test_source_fields_of_a_missing_file_is_object_not_found(files: FilesConnector) -> None:
    with pytest.raises(ObjectNotFound, match=r"'missing\.csv'"):
        files.source_fields({"file": "missing.csv"})


def test_source_fields_of_an_unsupported_file_is_object_not_found(data_dir: Path) -> None:
    (data_dir / "notes.txt").write_text("hello")
    with pytest.raises(ObjectNotFound, match=r"'notes\.txt'"):
        connector(data_dir).source_fields({"file": "notes.txt"})


def test_malformed_csv_gives_a_clear_error(data_dir: Path) -> None:
    (data_dir / "latin.csv").write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(
        InvalidSourceConfiguration, match=r"(?s)cannot read latin\.csv as CSV: .*not utf-8"
    ):
        connector(data_dir).source_fields({"file": "latin.csv"})


def test_corrupt_parquet_gives_a_clear_error(data_dir: Path) -> None:
    (data_dir / "broken.parquet").write_text("not parquet")
    with pytest.raises(InvalidSourceConfiguration, match=r"cannot read broken\.parquet as Parquet"):
        connector(data_dir).source_fields({"file": "broken.parquet"})


def test_malformed_jsonl_gives_a_clear_error(data_dir: Path) -> None:
    (data_dir / "broken.jsonl").write_text('{"a": 1}\n{"a":\n')
    with pytest.raises(
        InvalidSourceConfiguration, match=r"cannot read broken\.jsonl as JSON Lines"
    ):
        connector(data_dir).source_fields({"file": "broken.jsonl"})


def test_empty_file_has_no_fields_and_no_rows(data_dir: Path) -> None:
    (data_dir / "empty.csv").write_text("")
    conn = connector(data_dir)
    assert conn.source_fields({"file": "empty.csv"}) == []
    assert conn.read({"file": "empty.csv"}).read_all().num_rows == 0


# ---------------------------------------------------------------- read


def test_read_csv_values(files: FilesConnector) -> None:
    assert files.read({"file": "people.csv"}).read_all().to_pylist() == [
        {
            "id": 1,
            "price": 1.5,
            "name": "Ann",
            "active": True,
            "created_at": dt.datetime(2024, 1, 2, 3, 4, 5),
            "day": dt.date(2024, 1, 2),
        },
        {
            "id": 2,
            "price": 2.25,
            "name": "Bob",
            "active": False,
            "created_at": dt.datetime(2024, 2, 3, 4, 5, 6),
            "day": dt.date(2024, 2, 3),
        },
    ]


def test_read_jsonl_values(files: FilesConnector) -> None:
    rows = files.read({"file": "people.jsonl"}).read_all().to_pylist()
    assert rows == [
        {
            **row,
            "created_at": dt.datetime.fromisoformat(str(row["created_at"])),
            "day": dt.date.fromisoformat(str(row["day"])),
        }
        for row in JSONL_ROWS
    ]


def test_read_parquet_values(files: FilesConnector) -> None:
    table = files.read({"file": "people.parquet"}).read_all()
    assert table.to_pylist() == PARQUET_TABLE.to_pylist()


@pytest.mark.parametrize("name", ["people.csv", "people.jsonl", "people.parquet"])
def test_read_schema_matches_source_fields(files: FilesConnector, name: str) -> None:
    fields = files.source_fields({"file": name})
    reader = files.read({"file": name})
    assert reader.schema == pa.schema([pa.field(f.name, f.arrow_type) for f in fields])


@pytest.mark.parametrize("file_format", ["csv", "jsonl", "parquet"])
def test_read_streams_batches_of_at_most_batch_size(data_dir: Path, file_format: str) -> None:
    write_numbers(data_dir, file_format, 2_500)
    reader = connector(data_dir).read({"file": f"numbers.{file_format}"}, batch_size=1_000)
    sizes = [batch.num_rows for batch in reader]
    assert max(sizes) <= 1_000
    assert len(sizes) >= 3
    assert sum(sizes) == 2_500


def test_read_keeps_row_order_across_batches(data_dir: Path) -> None:
    write_numbers(data_dir, "parquet", 2_500)
    table = connector(data_dir).read({"file": "numbers.parquet"}, batch_size=1_000).read_all()
    assert table.column("n").to_pylist() == list(range(2_500))


def test_read_applies_the_limit(data_dir: Path) -> None:
    write_numbers(data_dir, "csv", 2_500)
    reader = connector(data_dir).read({"file": "numbers.csv"}, batch_size=1_000, limit=1_200)
    assert reader.read_all().column("n").to_pylist() == list(range(1_200))


def test_read_with_limit_zero_returns_no_rows_but_the_schema(files: FilesConnector) -> None:
    table = files.read({"file": "people.csv"}, limit=0).read_all()
    assert table.num_rows == 0
    assert table.column_names == ["id", "price", "name", "active", "created_at", "day"]


def test_read_refuses_a_batch_size_below_one(files: FilesConnector) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        files.read({"file": "people.csv"}, batch_size=0)


def test_read_reports_a_bad_row_past_the_type_sample(data_dir: Path) -> None:
    write_csv(data_dir, "late.csv", "n\n" + "1\n" * 30_000 + "oops\n")
    reader = connector(data_dir).read({"file": "late.csv"}, batch_size=1_000)
    with pytest.raises(
        InvalidSourceConfiguration, match=r"(?s)cannot read late\.csv as CSV: .*oops"
    ):
        reader.read_all()


def test_read_of_a_missing_file_is_object_not_found(files: FilesConnector) -> None:
    with pytest.raises(ObjectNotFound):
        files.read({"file": "missing.parquet"})


def write_numbers(directory: Path, file_format: str, count: int) -> None:
    table = pa.table({"n": pa.array(range(count), pa.int64())})
    path = directory / f"numbers.{file_format}"
    if file_format == "parquet":
        pq.write_table(table, path, row_group_size=700)
    elif file_format == "csv":
        path.write_text("n\n" + "".join(f"{n}\n" for n in range(count)))
    else:
        path.write_text("".join(json.dumps({"n": n}) + "\n" for n in range(count)))


# ---------------------------------------------------------------- target side


def test_target_objects_are_the_supported_files_with_every_mode(files: FilesConnector) -> None:
    objects = files.target_objects()
    assert [(o.id, o.name) for o in objects] == [
        ("people.csv", "people.csv"),
        ("people.jsonl", "people.jsonl"),
        ("people.parquet", "people.parquet"),
    ]
    modes = {m.mode: m for m in objects[0].modes}
    assert set(modes) == set(SyncMode)
    needs_identity = {m for m, support in modes.items() if support.requires_identity}
    assert needs_identity == {
        SyncMode.CREATE,
        SyncMode.UPDATE,
        SyncMode.UPDATE_OR_CREATE,
        SyncMode.REMOVE,
    }
    per_field = {m for m, support in modes.items() if support.supports_per_field_mode}
    assert per_field == {SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE}
    assert not any(support.supports_target_filters for support in modes.values())


def test_describe_target_returns_columns_as_fields(files: FilesConnector) -> None:
    description = files.describe_target("people.jsonl")
    assert description.id == description.name == "people.jsonl"
    assert description.properties == FilesConnector.target_capabilities
    assert {m.mode for m in description.modes} == set(SyncMode)
    fields = {f.id: f for f in description.fields}
    assert list(fields) == [
        "id",
        "price",
        "name",
        "active",
        "created_at",
        "day",
        "tags",
        "address",
    ]
    name = fields["name"]
    assert (name.type, name.remote_type) == (FieldType.STRING, "VARCHAR")
    assert name.supports_identity
    assert name.identity_functions == (IdentityFunction.EQUALITY,)
    assert name.filter_functions == FILTER_FUNCTIONS_BY_TYPE[FieldType.STRING]
    assert (name.required, name.createable, name.updateable, name.filterable) == (
        False,
        True,
        True,
        False,
    )
    assert not fields["tags"].supports_identity
    assert fields["tags"].identity_functions == ()
    assert not fields["address"].supports_identity


def test_describe_target_of_a_missing_file_is_object_not_found(files: FilesConnector) -> None:
    with pytest.raises(ObjectNotFound, match=r"'nope\.csv'"):
        files.describe_target("nope.csv")


def test_describe_target_of_an_unreadable_file_is_a_connector_error(data_dir: Path) -> None:
    (data_dir / "broken.parquet").write_text("not parquet")
    with pytest.raises(ConnectorError, match=r"cannot read broken\.parquet as Parquet"):
        connector(data_dir).describe_target("broken.parquet")


def test_creation_properties_are_name_and_format(files: FilesConnector) -> None:
    assert files.creation_properties() == [
        CreationProperty("name", "File name", enum=False),
        CreationProperty("format", "Format", enum=True),
    ]


def test_creation_property_values_lists_the_formats(files: FilesConnector) -> None:
    assert [c.value for c in files.creation_property_values("format")] == [
        "csv",
        "jsonl",
        "parquet",
    ]


@pytest.mark.parametrize("property_id", ["name", "colour"])
def test_creation_property_values_of_other_properties_is_object_not_found(
    files: FilesConnector, property_id: str
) -> None:
    with pytest.raises(ObjectNotFound, match=repr(property_id)):
        files.creation_property_values(property_id)


@pytest.mark.parametrize(
    ("name", "file_format", "expected"),
    [
        ("orders", "csv", "orders.csv"),
        ("orders", "jsonl", "orders.jsonl"),
        ("orders", "parquet", "orders.parquet"),
        ("orders.csv", "csv", "orders.csv"),
        ("orders.ndjson", "jsonl", "orders.ndjson"),
        ("orders.2024", "csv", "orders.2024.csv"),
    ],
)
def test_describe_new_target_names_the_file_with_its_extension(
    files: FilesConnector, name: str, file_format: str, expected: str
) -> None:
    description = files.describe_new_target({"name": name, "format": file_format})
    assert (description.id, description.name) == (expected, expected)
    assert description.fields == []
    assert {m.mode for m in description.modes} == set(SyncMode)


@pytest.mark.parametrize(
    ("properties", "path", "message"),
    [
        ({"name": "orders.parquet", "format": "csv"}, "properties.name", "Parquet file"),
        ({"format": "csv"}, "properties.name", "'name' is required"),
        ({"name": "  ", "format": "csv"}, "properties.name", "'name' is required"),
        ({"name": "orders"}, "properties.format", "'format' is required"),
        ({"name": "orders", "format": "xlsx"}, "properties.format", "'xlsx'"),
        ({"name": "orders", "format": "csv", "sheet": "1"}, "properties.sheet", "'sheet'"),
        ({"name": "../orders", "format": "csv"}, "properties.name", "path"),
        ({"name": "/srv/orders", "format": "csv"}, "properties.name", "absolute"),
        ({"name": "people", "format": "csv"}, "properties.name", "already exists"),
        ({"name": "people.csv", "format": "csv"}, "properties.name", "already exists"),
    ],
)
def test_describe_new_target_refuses_bad_properties(
    files: FilesConnector, properties: dict[str, str], path: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as info:
        files.describe_new_target(properties)
    assert info.value.path == path
    assert info.value.metadata["path"] == path
