"""The `files` writer against real CSV, JSON Lines and Parquet files in tmp_path.

Every file a test writes is read back through the connector's own source
`read()`, so the round trip is what is proven, not just the bytes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from syncline.connectors.files import FilesConfig, FilesConnector
from syncline.connectors.vocabulary import FilterFunction, SyncMode
from syncline.connectors.writing import (
    RecordResult,
    TargetCondition,
    TargetFilter,
    WriteColumn,
    WritePlan,
)
from syncline.errors import ConnectorError, ObjectNotFound

R = RecordResult
FORMATS = ["csv", "jsonl", "parquet"]
SNAPSHOT_TIME = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
ID_NAME = (WriteColumn("id", pa.int64()), WriteColumn("name", pa.string()))
EXISTING = [
    {"id": 1, "name": "Ann", "city": "Oslo"},
    {"id": 2, "name": "Bob", "city": "Rome"},
]


def connector(directory: Path) -> FilesConnector:
    return FilesConnector(FilesConfig(path=str(directory)))


def seed(directory: Path, fmt: str, rows: list[dict[str, Any]] = EXISTING) -> str:
    """Write `rows` as `people.<fmt>` without the writer; return the file name."""
    name = f"people.{fmt}"
    path = directory / name
    if fmt == "csv":
        header = list(rows[0])
        lines = [",".join(header)] + [
            ",".join("" if row[key] is None else str(row[key]) for key in header) for row in rows
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return name


def batch(columns: tuple[WriteColumn, ...], rows: list[dict[str, Any]]) -> pa.RecordBatch:
    schema = pa.schema([pa.field(column.name, column.arrow_type) for column in columns])
    return pa.RecordBatch.from_pylist(rows, schema=schema)


def plan(name: str, mode: SyncMode, **options: Any) -> WritePlan:
    options.setdefault("columns", ID_NAME)
    if mode in (SyncMode.CREATE, SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE, SyncMode.REMOVE):
        options.setdefault("identity", ("id",))
    if mode is SyncMode.SNAPSHOT:
        options.setdefault("snapshot_column", "synced_at")
        options.setdefault("snapshot_time", SNAPSHOT_TIME)
    return WritePlan(object_id=name, mode=mode, **options)


def run(
    conn: FilesConnector, write_plan: WritePlan, *batches: list[dict[str, Any]]
) -> list[list[RecordResult]]:
    """Write each batch and finish; return each batch's results."""
    results = []
    with conn.open_writer(write_plan) as writer:
        for rows in batches:
            results.append(writer.write(batch(write_plan.columns, rows)).results)
        writer.finish()
    return results


def read_back(conn: FilesConnector, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = conn.read({"file": name}).read_all().to_pylist()
    return rows


def hidden(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith("."))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


# ---------------------------------------------------------------- every mode x every format

SENT = [{"id": 2, "name": "Bobby"}, {"id": 3, "name": "Cy"}]
ANN = {"id": 1, "name": "Ann", "city": "Oslo"}
BOB = {"id": 2, "name": "Bob", "city": "Rome"}
MODES: list[tuple[SyncMode, list[RecordResult], list[dict[str, Any]]]] = [
    (
        SyncMode.APPEND,
        [R.INSERTED, R.INSERTED],
        [ANN, BOB, {"id": 2, "name": "Bobby", "city": None}, {"id": 3, "name": "Cy", "city": None}],
    ),
    (
        SyncMode.SNAPSHOT,
        [R.INSERTED, R.INSERTED],
        [
            {**ANN, "synced_at": None},
            {**BOB, "synced_at": None},
            {"id": 2, "name": "Bobby", "city": None, "synced_at": SNAPSHOT_TIME},
            {"id": 3, "name": "Cy", "city": None, "synced_at": SNAPSHOT_TIME},
        ],
    ),
    (
        SyncMode.REPLACE,
        [R.INSERTED, R.INSERTED],
        [{"id": 2, "name": "Bobby", "city": None}, {"id": 3, "name": "Cy", "city": None}],
    ),
    (SyncMode.CREATE, [R.SKIPPED, R.INSERTED], [ANN, BOB, {"id": 3, "name": "Cy", "city": None}]),
    (SyncMode.UPDATE, [R.UPDATED, R.NOT_FOUND], [ANN, {"id": 2, "name": "Bobby", "city": "Rome"}]),
    (
        SyncMode.UPDATE_OR_CREATE,
        [R.UPDATED, R.INSERTED],
        [ANN, {"id": 2, "name": "Bobby", "city": "Rome"}, {"id": 3, "name": "Cy", "city": None}],
    ),
    (SyncMode.REMOVE, [R.DELETED, R.NOT_FOUND], [ANN]),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("mode", "results", "rows"), MODES, ids=[m[0].value for m in MODES])
def test_each_mode_writes_each_format_and_reads_back(
    data_dir: Path,
    fmt: str,
    mode: SyncMode,
    results: list[RecordResult],
    rows: list[dict[str, Any]],
) -> None:
    name = seed(data_dir, fmt)
    conn = connector(data_dir)
    assert run(conn, plan(name, mode), SENT) == [results]
    assert read_back(conn, name) == rows


# ---------------------------------------------------------------- creating and growing files


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_makes_a_new_file_from_the_creation_properties(data_dir: Path, fmt: str) -> None:
    conn = connector(data_dir)
    new = plan(f"out.{fmt}", SyncMode.CREATE, create={"name": "out", "format": fmt})
    assert run(conn, new, SENT) == [[R.INSERTED, R.INSERTED]]
    assert read_back(conn, f"out.{fmt}") == SENT
    assert [f.name for f in conn.describe_target(f"out.{fmt}").fields] == ["id", "name"]


def test_create_without_an_object_id_names_the_file_from_the_properties(data_dir: Path) -> None:
    conn = connector(data_dir)
    new = plan("", SyncMode.UPDATE_OR_CREATE, create={"name": "out", "format": "jsonl"})
    assert run(conn, new, SENT) == [[R.INSERTED, R.INSERTED]]
    assert read_back(conn, "out.jsonl") == SENT


def test_create_with_a_name_other_than_the_object_is_refused(data_dir: Path) -> None:
    wrong = plan("out.csv", SyncMode.CREATE, create={"name": "other", "format": "csv"})
    with pytest.raises(ConnectorError, match=r"would be named 'other\.csv'"):
        connector(data_dir).open_writer(wrong)


def test_create_over_a_file_a_crashed_run_made_writes_into_it(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    conn = connector(data_dir)
    retried = plan(name, SyncMode.CREATE, create={"name": "people", "format": "csv"})
    assert run(conn, retried, SENT) == [[R.SKIPPED, R.INSERTED]]
    assert read_back(conn, name) == [ANN, BOB, {"id": 3, "name": "Cy", "city": None}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_column_is_added_and_empty_for_rows_not_written(data_dir: Path, fmt: str) -> None:
    name = seed(data_dir, fmt)
    conn = connector(data_dir)
    columns = (*ID_NAME, WriteColumn("tier", pa.string(), new=True))
    sent = [{"id": 2, "name": "Bob", "tier": "gold"}]
    assert run(conn, plan(name, SyncMode.UPDATE, columns=columns), sent) == [[R.UPDATED]]
    assert read_back(conn, name) == [{**ANN, "tier": None}, {**BOB, "tier": "gold"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_only_column_keeps_a_non_empty_value_on_update(data_dir: Path, fmt: str) -> None:
    rows = [{"id": 1, "name": "Ann", "city": "Oslo"}, {"id": 2, "name": "Bob", "city": None}]
    name = seed(data_dir, fmt, rows)
    conn = connector(data_dir)
    columns = (*ID_NAME, WriteColumn("city", pa.string(), create_only=True))
    sent = [
        {"id": 1, "name": "Annie", "city": "Paris"},
        {"id": 2, "name": "Bobby", "city": "Lima"},
        {"id": 3, "name": "Cy", "city": "Kyiv"},
    ]
    mode = SyncMode.UPDATE_OR_CREATE
    assert run(conn, plan(name, mode, columns=columns), sent) == [
        [R.UPDATED, R.UPDATED, R.INSERTED]
    ]
    assert read_back(conn, name) == [
        {"id": 1, "name": "Annie", "city": "Oslo"},
        {"id": 2, "name": "Bobby", "city": "Lima"},
        {"id": 3, "name": "Cy", "city": "Kyiv"},
    ]


def test_parquet_keeps_the_file_column_types_and_types_new_columns_from_the_plan(
    data_dir: Path,
) -> None:
    table = pa.table({"id": pa.array([1], pa.int32()), "name": pa.array(["Ann"], pa.string())})
    pq.write_table(table, data_dir / "t.parquet")
    columns = (*ID_NAME, WriteColumn("score", pa.decimal128(6, 2), new=True))
    sent = [{"id": 2, "name": "Bob", "score": decimal.Decimal("1.50")}]
    run(connector(data_dir), plan("t.parquet", SyncMode.APPEND, columns=columns), sent)
    schema = pq.read_schema(data_dir / "t.parquet")
    assert schema.types == [pa.int32(), pa.string(), pa.decimal128(6, 2)]


# ---------------------------------------------------------------- replace safety


@pytest.mark.parametrize("fmt", FORMATS)
def test_replace_refuses_to_empty_a_file_that_has_rows(data_dir: Path, fmt: str) -> None:
    name = seed(data_dir, fmt)
    before = (data_dir / name).read_bytes()
    with connector(data_dir).open_writer(plan(name, SyncMode.REPLACE)) as writer:
        writer.write(batch(ID_NAME, []))
        with pytest.raises(
            ConnectorError, match=r"refusing to replace people\.\w+ \(2 rows\) with 0 records"
        ):
            writer.finish()
    assert (data_dir / name).read_bytes() == before


def test_replace_empties_the_file_when_allowed(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    run(connector(data_dir), plan(name, SyncMode.REPLACE, allow_empty_replace=True))
    assert (data_dir / name).read_text() == "id,name,city\n"


# ---------------------------------------------------------------- atomicity and cleanup


@pytest.mark.parametrize("fmt", FORMATS)
def test_close_without_finish_leaves_the_file_byte_identical(data_dir: Path, fmt: str) -> None:
    name = seed(data_dir, fmt)
    before = (data_dir / name).read_bytes()
    writer = connector(data_dir).open_writer(plan(name, SyncMode.UPDATE_OR_CREATE))
    writer.write(batch(ID_NAME, SENT))
    writer.close()
    assert (data_dir / name).read_bytes() == before
    assert hidden(data_dir) == []


def test_exception_between_write_and_finish_leaves_the_old_file(data_dir: Path) -> None:
    name = seed(data_dir, "jsonl")
    before = (data_dir / name).read_bytes()

    def crashing_run() -> None:
        with connector(data_dir).open_writer(plan(name, SyncMode.REPLACE)) as writer:
            writer.write(batch(ID_NAME, SENT))
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        crashing_run()
    assert (data_dir / name).read_bytes() == before
    assert hidden(data_dir) == []


def test_staged_batches_stay_hidden_until_finish(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    before = (data_dir / name).read_bytes()
    conn = connector(data_dir)
    with conn.open_writer(plan(name, SyncMode.APPEND)) as writer:
        writer.write(batch(ID_NAME, SENT))
        assert hidden(data_dir) != []
        assert (data_dir / name).read_bytes() == before
        assert [t.id for t in conn.target_objects()] == [name]
        item = conn.describe_source({}).items["file"]
        assert item is not None
        assert [choice.value for choice in item.choices] == [name]
        writer.finish()
    assert len(read_back(conn, name)) == 4


def test_rewritten_file_keeps_its_permissions(data_dir: Path) -> None:
    name = seed(data_dir, "parquet")
    (data_dir / name).chmod(0o640)
    run(connector(data_dir), plan(name, SyncMode.APPEND), SENT)
    assert (data_dir / name).stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_hidden_files_remain_after_finish(data_dir: Path, fmt: str) -> None:
    name = seed(data_dir, fmt)
    run(connector(data_dir), plan(name, SyncMode.UPDATE_OR_CREATE), SENT, SENT)
    assert hidden(data_dir) == []


def test_run_directory_left_by_a_crashed_process_is_removed_by_the_next_writer(
    data_dir: Path,
) -> None:
    name = seed(data_dir, "csv")
    conn = connector(data_dir)
    with conn.open_writer(plan(name, SyncMode.APPEND)) as writer:
        writer.write(batch(ID_NAME, SENT))
        # A killed process's lock dies with it, but its run directory stays:
        # leave a copy behind under another run's name.
        [area] = [path for path in data_dir.iterdir() if path.is_dir()]
        shutil.copytree(area, area.with_name(area.name[:-32] + "0" * 32))
    assert len(hidden(data_dir)) == 1
    run(conn, plan(name, SyncMode.APPEND), SENT)
    assert hidden(data_dir) == []


def test_a_second_writer_of_the_same_file_is_refused_while_the_first_is_open(
    data_dir: Path,
) -> None:
    name = seed(data_dir, "csv")
    conn = connector(data_dir)
    with conn.open_writer(plan(name, SyncMode.APPEND)):
        with pytest.raises(ConnectorError, match="being written by another run"):
            conn.open_writer(plan(name, SyncMode.APPEND))
        run(conn, plan(seed(data_dir, "jsonl"), SyncMode.APPEND), SENT)
    run(conn, plan(name, SyncMode.APPEND), SENT)


def test_run_that_changes_nothing_leaves_the_file_untouched(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    path = data_dir / name
    os.utime(path, (1_000_000, 1_000_000))
    assert run(connector(data_dir), plan(name, SyncMode.UPDATE), [{"id": 9, "name": "X"}]) == [
        [R.NOT_FOUND]
    ]
    assert path.stat().st_mtime == 1_000_000


def test_finishing_twice_publishes_once(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    conn = connector(data_dir)
    with conn.open_writer(plan(name, SyncMode.APPEND)) as writer:
        writer.write(batch(ID_NAME, SENT))
        writer.finish()
        writer.finish()
    assert len(read_back(conn, name)) == 4


def test_writing_after_finish_is_refused(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    with connector(data_dir).open_writer(plan(name, SyncMode.APPEND)) as writer:
        writer.finish()
        with pytest.raises(ValueError, match="finished"):
            writer.write(batch(ID_NAME, SENT))


def test_failing_directory_is_a_connector_error_and_nothing_is_published(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    before = (data_dir / name).read_bytes()
    with connector(data_dir).open_writer(plan(name, SyncMode.APPEND)) as writer:
        [area] = [path for path in data_dir.iterdir() if path.is_dir()]
        shutil.rmtree(area)
        with pytest.raises(ConnectorError, match=f"cannot write {name}"):
            writer.write(batch(ID_NAME, SENT))
        with pytest.raises(ConnectorError, match=r"earlier write .* failed"):
            writer.finish()
    assert (data_dir / name).read_bytes() == before
    assert hidden(data_dir) == []


# ---------------------------------------------------------------- records the file refuses


@pytest.mark.parametrize("fmt", FORMATS)
def test_null_identity_is_rejected_and_the_rest_lands(data_dir: Path, fmt: str) -> None:
    name = seed(data_dir, fmt)
    conn = connector(data_dir)
    with conn.open_writer(plan(name, SyncMode.UPDATE_OR_CREATE)) as writer:
        result = writer.write(batch(ID_NAME, [{"id": None, "name": "X"}, {"id": 3, "name": "Cy"}]))
        writer.finish()
    assert result.results == [R.REJECTED, R.INSERTED]
    assert result.messages == {
        0: f"identity column 'id' is empty (NULL); a record needs a "
        f"value there to be matched against {name}"
    }
    assert read_back(conn, name) == [ANN, BOB, {"id": 3, "name": "Cy", "city": None}]


def test_value_the_parquet_column_cannot_hold_is_rejected_and_the_rest_lands(
    data_dir: Path,
) -> None:
    name = seed(data_dir, "parquet")
    conn = connector(data_dir)
    columns = (WriteColumn("id", pa.string()), WriteColumn("name", pa.string()))
    with conn.open_writer(plan(name, SyncMode.APPEND, columns=columns)) as writer:
        sent = [{"id": "3", "name": "Cy"}, {"id": "three", "name": "X"}, {"id": "4", "name": "D"}]
        result = writer.write(batch(columns, sent))
        writer.finish()
    assert result.results == [R.INSERTED, R.REJECTED, R.INSERTED]
    assert "column 'id'" in result.messages[1]
    assert "int64" in result.messages[1]
    assert [row["id"] for row in read_back(conn, name)] == [1, 2, 3, 4]


def test_nan_is_rejected_for_json_lines_and_the_rest_lands(data_dir: Path) -> None:
    name = seed(data_dir, "jsonl")
    conn = connector(data_dir)
    columns = (*ID_NAME, WriteColumn("score", pa.float64(), new=True))
    sent = [{"id": 3, "name": "Cy", "score": math.nan}, {"id": 4, "name": "D", "score": 0.5}]
    assert run(conn, plan(name, SyncMode.APPEND, columns=columns), sent) == [
        [R.REJECTED, R.INSERTED]
    ]
    assert [row["score"] for row in read_back(conn, name)] == [None, None, 0.5]


# ---------------------------------------------------------------- repeated identities


def test_identity_repeated_in_a_run_is_updated_and_the_last_values_win(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    conn = connector(data_dir)
    first = [{"id": 3, "name": "C1"}, {"id": 1, "name": "A1"}]
    second = [{"id": 3, "name": "C2"}, {"id": 3, "name": "C3"}]
    assert run(conn, plan(name, SyncMode.UPDATE_OR_CREATE), first, second) == [
        [R.INSERTED, R.UPDATED],
        [R.UPDATED, R.UPDATED],
    ]
    assert read_back(conn, name) == [
        {"id": 1, "name": "A1", "city": "Oslo"},
        BOB,
        {"id": 3, "name": "C3", "city": None},
    ]


def test_identity_repeated_in_a_create_run_is_skipped_after_the_first(data_dir: Path) -> None:
    name = seed(data_dir, "parquet")
    conn = connector(data_dir)
    sent = [{"id": 3, "name": "C1"}, {"id": 3, "name": "C2"}]
    assert run(conn, plan(name, SyncMode.CREATE), sent, sent[:1]) == [
        [R.INSERTED, R.SKIPPED],
        [R.SKIPPED],
    ]
    assert read_back(conn, name)[2:] == [{"id": 3, "name": "C1", "city": None}]


def test_identity_repeated_in_a_remove_run_is_not_found_after_the_first(data_dir: Path) -> None:
    name = seed(data_dir, "jsonl")
    conn = connector(data_dir)
    sent = [{"id": 1, "name": "A"}, {"id": 1, "name": "A"}]
    assert run(conn, plan(name, SyncMode.REMOVE), sent, sent[:1]) == [
        [R.DELETED, R.NOT_FOUND],
        [R.NOT_FOUND],
    ]
    assert read_back(conn, name) == [BOB]


# ---------------------------------------------------------------- how values are written


def test_csv_and_json_lines_render_values_as_iso_text(data_dir: Path) -> None:
    columns = (
        WriteColumn("id", pa.int64()),
        WriteColumn("at", pa.timestamp("us", tz="Europe/Oslo")),
        WriteColumn("naive", pa.timestamp("ms")),
        WriteColumn("day", pa.date32()),
        WriteColumn("price", pa.decimal128(6, 2)),
        WriteColumn("ok", pa.bool_()),
        WriteColumn("tags", pa.list_(pa.string())),
        WriteColumn("raw", pa.binary()),
        WriteColumn("note", pa.string()),
    )
    row = {
        "id": 1,
        "at": dt.datetime(2024, 1, 2, 4, 4, 5, 500000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "naive": dt.datetime(2024, 1, 2, 3, 4, 5),
        "day": dt.date(2024, 1, 2),
        "price": decimal.Decimal("1.50"),
        "ok": True,
        "tags": ["a", "b"],
        "raw": b"\xaa",
        "note": None,
    }
    conn = connector(data_dir)
    for fmt in ("csv", "jsonl"):
        run(
            conn,
            plan(f"v.{fmt}", SyncMode.APPEND, columns=columns, create={"name": "v", "format": fmt}),
            [row],
        )
    assert (data_dir / "v.csv").read_text() == (
        "id,at,naive,day,price,ok,tags,raw,note\n"
        '1,2024-01-02T03:04:05.500000Z,2024-01-02T03:04:05,2024-01-02,1.50,true,"[""a"",""b""]",qg==,\n'
    )
    assert json.loads((data_dir / "v.jsonl").read_text()) == {
        "id": 1,
        "at": "2024-01-02T03:04:05.500000Z",
        "naive": "2024-01-02T03:04:05",
        "day": "2024-01-02",
        "price": 1.5,
        "ok": True,
        "tags": ["a", "b"],
        "raw": "qg==",
        "note": None,
    }
    utc = dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.UTC)
    for fmt in ("csv", "jsonl"):
        back = read_back(conn, f"v.{fmt}")[0]
        assert (back["at"], back["naive"], back["day"]) == (utc, row["naive"], row["day"])


def test_csv_rows_a_run_does_not_touch_keep_their_text(data_dir: Path) -> None:
    (data_dir / "p.csv").write_text("id,name,price\n1,Ann,1.50\n2,Bob,007\n")
    run(connector(data_dir), plan("p.csv", SyncMode.UPDATE), [{"id": 2, "name": "Bobby"}])
    assert (data_dir / "p.csv").read_text() == "id,name,price\n1,Ann,1.50\n2,Bobby,007\n"


def test_json_lines_keys_missing_from_some_lines_are_kept(data_dir: Path) -> None:
    (data_dir / "p.jsonl").write_text('{"id": 1, "name": "Ann"}\n{"id": 2, "extra": [1]}\n')
    conn = connector(data_dir)
    run(conn, plan("p.jsonl", SyncMode.UPDATE), [{"id": 1, "name": "Annie"}])
    assert (data_dir / "p.jsonl").read_text() == (
        '{"id":1,"name":"Annie","extra":null}\n{"id":2,"name":null,"extra":[1]}\n'
    )


def test_column_names_match_the_file_regardless_of_case(data_dir: Path) -> None:
    (data_dir / "p.csv").write_text("ID,Name\n1,Ann\n")
    conn = connector(data_dir)
    assert run(conn, plan("p.csv", SyncMode.UPDATE), [{"id": 1, "name": "Annie"}]) == [[R.UPDATED]]
    assert read_back(conn, "p.csv") == [{"ID": 1, "Name": "Annie"}]


# ---------------------------------------------------------------- plans and names refused


def test_name_outside_the_directory_is_refused(data_dir: Path) -> None:
    with pytest.raises(ConnectorError, match="is a path"):
        connector(data_dir).open_writer(plan("../people.csv", SyncMode.APPEND))


def test_missing_file_is_not_found(data_dir: Path) -> None:
    with pytest.raises(ObjectNotFound):
        connector(data_dir).open_writer(plan("nope.csv", SyncMode.APPEND))


def test_plan_files_cannot_carry_out_is_refused(data_dir: Path) -> None:
    name = seed(data_dir, "csv")
    filtered = TargetFilter({"a": TargetCondition("city", FilterFunction.EQUALITY, "Oslo")})
    with pytest.raises(ConnectorError, match="do not support target filters"):
        connector(data_dir).open_writer(plan(name, SyncMode.UPDATE, target_filter=filtered))
    assert hidden(data_dir) == []
