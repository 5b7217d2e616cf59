"""What SQL targets declare they accept is what their writers do, on the real databases.

Each column type's declared domain (from `describe_target`) and the target's
`Acceptance` give a verdict for every kind of model value (the same
`judge` sync validation uses). Typical values of each kind are then written
into the column through the connector's own writer:

- where the verdict is EXACT, every value must be written;
- where it is NEVER, at least one typical value must be refused, unless the
  pair is one Syncline refuses by rule though the database stores something
  (`BY_RULE`).

A PER_VALUE verdict says some values may fail; nothing is asserted for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from syncline.connectors.compatibility import (
    Fit,
    ValueDomain,
    ValueKind,
    decimal_domain,
    integer_domain,
)
from syncline.connectors.files import FilesConfig, FilesConnector
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import RecordResult, WriteColumn, WritePlan
from syncline.errors import ConnectorError
from syncline.services.syncs.values import judge
from tests.connectors.sql_writer_fixtures import Db, database, plan_for

K = ValueKind
UTC = dt.UTC


@dataclass(frozen=True)
class Sample:
    """Typical values of one kind, as a source hands them to a writer."""

    domain: ValueDomain
    arrow_type: pa.DataType
    values: list[Any]


SAMPLES: dict[str, Sample] = {
    "text": Sample(ValueDomain(K.TEXT), pa.string(), ["abc", "x"]),
    "int32": Sample(integer_domain(32), pa.int64(), [1, 0, 70000]),
    "int64": Sample(integer_domain(64), pa.int64(), [1, 3_000_000_000]),
    "decimal": Sample(
        decimal_domain(12, 4), pa.decimal128(12, 4), [Decimal("1.2345"), Decimal("12345678.1")]
    ),
    "float": Sample(ValueDomain(K.FLOAT), pa.float64(), [1.5, 2.0]),
    "boolean": Sample(ValueDomain(K.BOOLEAN), pa.bool_(), [True, False]),
    "timestamp": Sample(
        ValueDomain(K.TIMESTAMP),
        pa.timestamp("us", tz="UTC"),
        [dt.datetime(2024, 1, 15, 9, 30, tzinfo=UTC)],
    ),
    "date": Sample(ValueDomain(K.DATE), pa.date32(), [dt.date(2024, 1, 15)]),
    "json": Sample(ValueDomain(K.JSON), pa.string(), ['{"a": 1}']),
    "array": Sample(ValueDomain(K.ARRAY), pa.list_(pa.int64()), [[1, 2]]),
    "binary": Sample(ValueDomain(K.BINARY), pa.binary(), [b"\x00\xff", b"abc"]),
}

COLUMNS: dict[str, list[str]] = {
    "postgresql": [
        "text", "varchar(5)", "integer", "smallint", "bigint", "numeric(10,2)", "numeric",
        "real", "double precision", "money", "boolean", "date", "timestamp", "timestamptz",
        "time", "interval", "uuid", "inet", "jsonb", "json", "bytea", "integer[]", "text[]",
    ],
    "mysql": [
        "varchar(255)", "varchar(5)", "text", "tinyint", "smallint", "int", "bigint",
        "bigint unsigned", "decimal(10,2)", "float", "double", "boolean", "bit(1)", "date",
        "datetime", "timestamp", "time", "year", "json", "blob", "varbinary(10)",
        "enum('a','b')", "uuid", "inet4",
    ],
    "sqlite": [
        "TEXT", "VARCHAR(5)", "INTEGER", "REAL", "NUMERIC", "DECIMAL(10,2)", "BOOLEAN",
        "DATE", "DATETIME", "BLOB", "JSON", "",
    ],
}  # fmt: skip

BY_RULE: set[tuple[str, str, str]] = {
    # Numbers and booleans are not times of day or enum labels, though MariaDB
    # reads them as such (1 as 00:00:01, 2.0 as the enum's second label).
    ("mysql", "int32", "time"),
    ("mysql", "float", "time"),
    ("mysql", "boolean", "time"),
    ("mysql", "float", "enum('a','b')"),
}
"""(dialect, sample, column) pairs refused by rule: the database stores a value,
but not one a person means."""


@pytest.fixture(scope="module", params=list(COLUMNS))
def db(
    request: pytest.FixtureRequest,
    pg_config: dict[str, Any],
    mysql_config: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Db]:
    directory: Path = tmp_path_factory.mktemp("acceptance")
    with database(request.param, pg_config, mysql_config, directory) as opened:
        yield opened


def _written(db: Db, column: str, sample: Sample) -> list[bool]:
    """Whether each sample value was written into a fresh `column` table."""
    table = db.table(ddl=f"(id INTEGER, v {column})", rows=None)
    plan = plan_for(
        table,
        SyncMode.APPEND,
        columns=(WriteColumn("id", pa.int64()), WriteColumn("v", sample.arrow_type)),
    )
    try:
        results = db.write(plan, {"id": list(range(len(sample.values))), "v": sample.values})
    except ConnectorError:
        return [False] * len(sample.values)
    return [result is RecordResult.INSERTED for result in results[0].results]


def test_declared_fits_hold_on_the_database(db: Db) -> None:
    wrong = []
    for column in COLUMNS[db.type_id]:
        table = db.table(ddl=f"(id INTEGER, v {column})", rows=None)
        description = db.connector.describe_target(table.id)
        field = next(f for f in description.fields if f.id == "v")
        assert field.domain is not None, column
        for name, sample in SAMPLES.items():
            verdict = judge(sample.domain, field.domain, description.acceptance)
            if verdict.fit is Fit.PER_VALUE:
                continue
            written = _written(db, column, sample)
            if verdict.fit is Fit.EXACT and not all(written):
                wrong.append(f"{name} into {column}: declared exact, written {written}")
            if (
                verdict.fit is Fit.NEVER
                and all(written)
                and db.type_id != "sqlite"  # SQLite stores anything: its refusals are by rule
                and (db.type_id, name, column) not in BY_RULE
            ):
                wrong.append(f"{name} into {column}: declared never, yet all were written")
    assert wrong == [], wrong


PARQUET_COLUMNS: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "decimal": pa.decimal128(10, 2),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "list": pa.list_(pa.int64()),
    "struct": pa.struct([("a", pa.int64())]),
    "binary": pa.binary(),
}


PARQUET_BY_RULE = {
    # Arrow casts between instants and their counts since 1970; neither is the other.
    ("int32", "timestamp"),
    ("int32", "timestamptz"),
    ("int64", "timestamp"),
    ("int64", "timestamptz"),
    ("date", "int32"),
    ("timestamp", "int64"),
}
"""(sample, column) pairs refused by rule on Parquet (see `BY_RULE`)."""


def test_declared_fits_hold_on_parquet_files(tmp_path: Path) -> None:
    connector = FilesConnector(FilesConfig.model_validate({"path": str(tmp_path)}))
    wrong = []
    for column, arrow_type in PARQUET_COLUMNS.items():
        for name, sample in SAMPLES.items():
            file = f"{column}_{name}.parquet"
            empty = pa.table({"id": pa.array([], pa.int64()), "v": pa.array([], arrow_type)})
            pq.write_table(empty, tmp_path / file)
            description = connector.describe_target(file)
            field = next(f for f in description.fields if f.id == "v")
            assert field.domain is not None, column
            verdict = judge(sample.domain, field.domain, description.acceptance)
            if verdict.fit is Fit.PER_VALUE:
                continue
            plan = WritePlan(
                object_id=file,
                mode=SyncMode.APPEND,
                columns=(WriteColumn("id", pa.int64()), WriteColumn("v", sample.arrow_type)),
            )
            batch = pa.RecordBatch.from_pydict(
                {"id": list(range(len(sample.values))), "v": sample.values},
                schema=pa.schema([("id", pa.int64()), ("v", sample.arrow_type)]),
            )
            try:
                with connector.open_writer(plan) as writer:
                    results = writer.write(batch).results
                    writer.finish()
                written = [result is RecordResult.INSERTED for result in results]
            except ConnectorError:
                written = [False] * len(sample.values)
            if verdict.fit is Fit.EXACT and not all(written):
                wrong.append(f"{name} into {column}: declared exact, written {written}")
            if verdict.fit is Fit.NEVER and all(written) and (name, column) not in PARQUET_BY_RULE:
                wrong.append(f"{name} into {column}: declared never, yet all were written")
    assert wrong == [], wrong
