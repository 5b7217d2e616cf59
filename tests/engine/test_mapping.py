"""Mapping model batches onto target columns, with identity keys and row hashes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from syncline.engine.errors import EngineError
from syncline.engine.mapping import ENGINE_COLUMNS, HASH, KEY, KEY_HIGH, KEY_LOW, Mapper
from syncline.engine.spec import FieldMapping, IdentityPair
from tests.engine.support import key_numbers, make_spec

MODEL = pa.RecordBatch.from_pydict(
    {
        "id": pa.array([1, 2, None], pa.int64()),
        "region": pa.array(["eu", None, "us"]),
        "name": pa.array(["a", "b", "c"]),
        "seen": pa.array([datetime(2024, 1, 1, 23, tzinfo=UTC)] * 3, pa.timestamp("us", "UTC")),
    }
)


def mapper(tmp_path: Path, **changes: object) -> Mapper:
    """A mapper of MODEL onto `id`, `name`, `seen` by `id`, unless `changes` say otherwise."""
    mappings = (
        FieldMapping("id", source="id"),
        FieldMapping("name", source="name"),
        FieldMapping("seen", source="seen"),
    )
    spec = replace(make_spec(tmp_path), mappings=mappings)
    return Mapper(replace(spec, **changes), MODEL.schema)  # type: ignore[arg-type]


def test_mapping_renames_fields_and_broadcasts_typed_constants(tmp_path: Path) -> None:
    mappings = (
        FieldMapping("full_name", source="name"),
        FieldMapping("source", constant="crm"),
        FieldMapping("weight", constant=3),
        FieldMapping("active", constant=True),
        FieldMapping("note", constant=None),
    )
    result = mapper(tmp_path, mappings=mappings, identity=()).map(MODEL).batch
    names = ["full_name", "source", "weight", "active", "note", *ENGINE_COLUMNS.names]
    assert result.schema.names == names
    assert result.schema.field("weight").type == pa.int64()
    assert result.schema.field("active").type == pa.bool_()
    assert result.schema.field("note").type == pa.string()
    assert result.column("full_name").to_pylist() == ["a", "b", "c"]
    assert result.column("source").to_pylist() == ["crm"] * 3
    assert result.column("note").to_pylist() == [None] * 3


def test_identity_column_not_mapped_is_added_after_the_mappings(tmp_path: Path) -> None:
    m = mapper(tmp_path, mappings=(FieldMapping("name", source="name"),))
    assert m.schema.names == ["name", "id"]


def test_single_identity_key_is_the_value_as_text(tmp_path: Path) -> None:
    mapped = mapper(tmp_path).map(MODEL.slice(0, 2))
    assert mapped.batch.column(KEY).to_pylist() == ["1", "2"]
    assert mapped.empty_identity is None


def test_composite_identity_key_is_a_json_array_of_texts(tmp_path: Path) -> None:
    identity = (IdentityPair("id", "id"), IdentityPair("region", "region"))
    mapped = mapper(tmp_path, identity=identity).map(MODEL)
    assert mapped.batch.column(KEY).to_pylist() == ['["1","eu"]', None, None]


def test_empty_identity_gives_null_key_and_names_the_first_empty_field(tmp_path: Path) -> None:
    identity = (IdentityPair("id", "id"), IdentityPair("region", "region"))
    mapped = mapper(tmp_path, identity=identity).map(MODEL)
    assert mapped.empty_identity is not None
    assert mapped.empty_identity.to_pylist() == [None, "region", "id"]


def test_without_identity_the_key_is_the_md5_of_the_content(tmp_path: Path) -> None:
    result = mapper(tmp_path, identity=()).map(MODEL).batch
    digests = [bytes.fromhex(key) for key in result.column(KEY).to_pylist()]
    assert [int.from_bytes(d[:8], "little") for d in digests] == result.column(HASH).to_pylist()


def test_hash_is_md5_of_the_canonical_encoding_of_the_mapped_values(tmp_path: Path) -> None:
    result = mapper(tmp_path, mappings=(FieldMapping("name", source="name"),)).map(MODEL)
    digest = hashlib.md5(b"4:name1:a2:id1:1").digest()  # noqa: S324
    assert result.batch.column(HASH)[0].as_py() == int.from_bytes(digest[:8], "little")


def test_key_number_is_the_md5_of_the_key_text(tmp_path: Path) -> None:
    batch = mapper(tmp_path).map(MODEL.slice(0, 1)).batch
    numbers = (batch.column(KEY_HIGH)[0].as_py(), batch.column(KEY_LOW)[0].as_py())
    assert {numbers} == key_numbers("1")


def test_hash_does_not_depend_on_batch_boundaries(tmp_path: Path) -> None:
    m = mapper(tmp_path)
    whole = m.map(MODEL).batch.column(HASH).to_pylist()
    parts = [m.map(MODEL.slice(i, 1)).batch.column(HASH)[0].as_py() for i in range(3)]
    assert whole == parts


def test_hash_changes_when_a_mapped_value_changes(tmp_path: Path) -> None:
    m = mapper(tmp_path)
    changed = MODEL.set_column(2, "name", pa.array(["a", "B", "c"]))
    before, after = m.map(MODEL).batch.column(HASH), m.map(changed).batch.column(HASH)
    assert [x == y for x, y in zip(before.to_pylist(), after.to_pylist(), strict=True)] == [
        True,
        False,
        True,
    ]


def test_hash_is_the_same_in_another_process(tmp_path: Path) -> None:
    here = mapper(tmp_path).map(MODEL).batch.column(HASH).to_pylist()
    script = (
        "from pathlib import Path; import sys; sys.path.insert(0, '.');"
        "from tests.engine.test_mapping import mapper, MODEL, HASH;"
        f"print(mapper(Path({str(tmp_path)!r})).map(MODEL).batch.column(HASH).to_pylist())"
    )
    there = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"TZ": "Asia/Tokyo", "PATH": ""},
    )
    assert there.stdout.strip() == str(here)


def test_mapping_of_missing_field_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="model field 'nope'"):
        mapper(tmp_path, mappings=(FieldMapping("x", source="nope"),))


def test_two_mappings_onto_one_column_are_an_engine_error(tmp_path: Path) -> None:
    mappings = (FieldMapping("x", source="name"), FieldMapping("x", constant=1))
    with pytest.raises(EngineError, match="named more than once"):
        mapper(tmp_path, mappings=mappings)
