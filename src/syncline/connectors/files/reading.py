"""Reading CSV, JSON Lines and Parquet files through DuckDB.

DuckDB is imported inside the functions that use it. File paths and limits
reach DuckDB as bound parameters, never as SQL text. Each call opens its own
in-memory DuckDB connection, so nothing is shared between threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from syncline.connectors.files.formats import FileFormat
from syncline.connectors.files.types import field_type
from syncline.connectors.vocabulary import FieldType
from syncline.errors import ConnectorError, InvalidSourceConfiguration

if TYPE_CHECKING:
    import duckdb

# The only SQL this module runs; `?` is the file path.
_TABLE_FUNCTIONS: dict[FileFormat, str] = {
    FileFormat.CSV: "read_csv_auto(?)",
    FileFormat.JSONL: "read_json_auto(?, format = 'newline_delimited')",
    FileFormat.PARQUET: "read_parquet(?)",
}


@dataclass(frozen=True)
class Column:
    """One column of a file as DuckDB reads it."""

    name: str
    type: FieldType
    remote_type: str
    arrow_type: pa.DataType


def describe(path: Path, file_format: FileFormat, error: type[ConnectorError]) -> list[Column]:
    """The columns of a file, read from its header, schema or a sample of rows.

    An empty (zero-byte) file has no columns. Raises `error` with DuckDB's
    message when the file cannot be read as `file_format`.
    """
    if _is_empty(path):
        return []
    import duckdb

    con = _connect()
    try:
        relation = _relation(con, path, file_format, limit=0)
        reader = _arrow_reader(relation, 1)
        schema = reader.schema
        reader.close()
        return [
            Column(
                name=name,
                type=field_type(str(duck_type.id), str(duck_type)),
                remote_type=str(duck_type),
                arrow_type=schema.field(index).type,
            )
            for index, (name, duck_type) in enumerate(
                zip(relation.columns, relation.types, strict=True)
            )
        ]
    except duckdb.Error as exc:
        raise error(_message(path, file_format, exc)) from exc
    finally:
        con.close()


def stream(
    path: Path, file_format: FileFormat, *, batch_size: int, limit: int | None
) -> pa.RecordBatchReader:
    """Stream a file's rows as Arrow batches of at most `batch_size` rows.

    The schema is the one `describe` reports. `limit` becomes a bound LIMIT
    in the query. Memory stays bounded by the batch size: DuckDB streams the
    file. Raises `InvalidSourceConfiguration` with DuckDB's message when the
    file cannot be read, up front or from the batch where reading failed.
    The DuckDB connection closes when the reader is exhausted or dropped.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    if _is_empty(path):
        return pa.RecordBatchReader.from_batches(pa.schema([]), iter(()))
    import duckdb

    con = _connect()
    try:
        reader = _arrow_reader(_relation(con, path, file_format, limit=limit), batch_size)
    except duckdb.Error as exc:
        con.close()
        raise InvalidSourceConfiguration(_message(path, file_format, exc)) from exc
    return pa.RecordBatchReader.from_batches(
        reader.schema, _batches(con, reader, batch_size, path, file_format)
    )


def _batches(
    con: duckdb.DuckDBPyConnection,
    reader: pa.RecordBatchReader,
    batch_size: int,
    path: Path,
    file_format: FileFormat,
) -> Iterator[pa.RecordBatch]:
    """DuckDB's batches cut to at most `batch_size` rows; closes `con` at the end."""
    import duckdb

    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (duckdb.Error, pa.ArrowException, OSError) as exc:
                # Type errors past DuckDB's sample surface only while streaming.
                raise InvalidSourceConfiguration(_message(path, file_format, exc)) from exc
            for offset in range(0, batch.num_rows, batch_size):
                yield batch.slice(offset, batch_size)
    finally:
        reader.close()
        con.close()


def _connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection reporting timestamps in UTC."""
    import duckdb

    con = duckdb.connect(":memory:")
    # Without the ICU extension DuckDB has no time zones and already uses UTC.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET TimeZone = 'UTC'")
    return con


def _relation(
    con: duckdb.DuckDBPyConnection, path: Path, file_format: FileFormat, *, limit: int | None
) -> duckdb.DuckDBPyRelation:
    """A lazy relation over the file; `con.sql` streams where `con.execute` would not."""
    query = f"SELECT * FROM {_TABLE_FUNCTIONS[file_format]}"
    params: list[Any] = [str(path)]
    if limit is not None:
        query += " LIMIT ?"
        params.append(limit)
    return con.sql(query, params=params)


def _arrow_reader(relation: duckdb.DuckDBPyRelation, batch_size: int) -> pa.RecordBatchReader:
    """Run the relation and return DuckDB's streaming Arrow reader."""
    if hasattr(relation, "to_arrow_reader"):
        reader: pa.RecordBatchReader = relation.to_arrow_reader(batch_size)
    else:  # older DuckDB releases only have fetch_record_batch
        reader = relation.fetch_record_batch(batch_size)
    return reader


def _is_empty(path: Path) -> bool:
    """Whether the file has no bytes at all (a target file created but not written)."""
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _message(path: Path, file_format: FileFormat, exc: BaseException) -> str:
    """A message naming the file and the format, followed by DuckDB's own words."""
    return f"cannot read {path.name} as {file_format.label}: {exc}"
