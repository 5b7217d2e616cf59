"""How each file format holds values while a write is staged, matched and merged.

A writer never works on raw file bytes: it reads the existing file and
encodes incoming records into one *storage form* per format, merges in that
form with DuckDB, and writes the result in the format:

- CSV: every column is text, exactly as in the file. The existing file is
  read with `all_varchar`, so rows a run does not touch keep their text
  (a `1.50` stays `1.50`). Identities match by their text.
- JSON Lines: every column is a JSON value (text of the JSON). Identities
  match by the value's text (`"7"` and `7` both match `7`).
- Parquet: every column keeps its Arrow type: the existing file's type, or
  the plan's type for a new column. Identities match by typed equality.

An incoming value the storage form cannot hold (a word for an int64 Parquet
column, NaN for JSON) raises `Unrepresentable`, so that record alone is
rejected. Paths reach DuckDB as bound parameters (`$existing`, `$output`).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from syncline.connectors.files.formats import FileFormat
from syncline.connectors.files.storage import ROW, Storage, Unrepresentable
from syncline.connectors.files.text_values import csv_text, json_text, quote

if TYPE_CHECKING:
    import duckdb

OUTPUT_BATCH_ROWS = 10_000
"""Rows per batch when streaming the merged result into a Parquet file."""

_DUCKDB_PREFIX = re.compile(r"^[A-Za-z ]+ Error: ")


class _TextStorage(Storage):
    """CSV and JSON Lines: values rendered by DuckDB from their Arrow types."""

    def staged_type(self, name: str, arrow_type: pa.DataType) -> pa.DataType:
        return pa.string()

    def encode(
        self, con: duckdb.DuckDBPyConnection, table: pa.Table, staged: pa.Schema
    ) -> pa.Table:
        import duckdb

        selects = [quote(ROW)] + [
            f"{self._render(quote(field.name), field.type, field.name)} AS {quote(field.name)}"
            for field in table.schema
            if field.name != ROW
        ]
        con.register("incoming", table)
        try:
            result = con.sql(f"SELECT {', '.join(selects)} FROM incoming").to_arrow_table()
        except (
            duckdb.InvalidInputException,
            duckdb.ConversionException,
            duckdb.OutOfRangeException,
        ) as exc:
            raise Unrepresentable(_DUCKDB_PREFIX.sub("", str(exc))) from exc
        finally:
            con.unregister("incoming")
        return result.cast(pa.schema([pa.field(ROW, pa.int64()), *staged]))

    @abstractmethod
    def _render(self, column: str, arrow_type: pa.DataType, name: str) -> str: ...

    copy_options: str
    """DuckDB `COPY ... TO` options writing this format."""

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        params: Mapping[str, Any],
        destination: Path,
        schema: pa.Schema,
    ) -> None:
        con.execute(
            f"COPY ({query}) TO $output ({self.copy_options})",
            {**params, "output": str(destination)},
        )


class CsvStorage(_TextStorage):
    """CSV with a header row; values as text, NULL as an empty field."""

    file_format = FileFormat.CSV
    copy_options = "FORMAT csv, HEADER true"

    def _existing_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return list(
            con.sql(f"SELECT * FROM {self.scan()} LIMIT 0", params=self.scan_params()).columns
        )

    def scan(self) -> str:
        return "read_csv($existing, all_varchar = true, header = true)"

    def _render(self, column: str, arrow_type: pa.DataType, name: str) -> str:
        return csv_text(column, arrow_type)

    def empty(self, column: str) -> str:
        return f"({column} IS NULL OR {column} = '')"


class JsonLinesStorage(_TextStorage):
    """One JSON object per line; every column is kept as a JSON value."""

    file_format = FileFormat.JSONL
    copy_options = "FORMAT json"

    def _existing_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        # Every key of every line, in order of first appearance: DuckDB's own
        # detection samples rows, and a key it missed would be dropped.
        rows = con.sql(
            "SELECT key FROM ("
            " SELECT line, unnest(json_keys(json)) AS key,"
            " generate_subscripts(json_keys(json), 1) AS place"
            " FROM (SELECT row_number() OVER () AS line, json"
            " FROM read_json_objects($existing, format = 'newline_delimited'))"
            ") GROUP BY key ORDER BY min(line), arg_min(place, line)",
            params={"existing": str(self.path)},
        ).fetchall()
        return [str(row[0]) for row in rows]

    def scan(self) -> str:
        return (
            "read_json($existing, format = 'newline_delimited', records = true, columns = $columns)"
        )

    def scan_params(self) -> dict[str, Any]:
        return {**super().scan_params(), "columns": dict.fromkeys(self.columns, "JSON")}

    def _render(self, column: str, arrow_type: pa.DataType, name: str) -> str:
        return json_text(column, arrow_type, name)

    def key(self, column: str) -> str:
        return f"json_extract_string({column}, '$')"

    def empty(self, column: str) -> str:
        return f"({column} IS NULL OR CAST({column} AS VARCHAR) IN ('null', '\"\"'))"

    def merged(self, column: str) -> str:
        return f"CAST({column} AS JSON)"


class ParquetStorage(Storage):
    """Parquet with Arrow types: the existing file's, or the plan's for new columns."""

    file_format = FileFormat.PARQUET

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.types: dict[str, pa.DataType] = {}

    def _existing_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        schema = pq.read_schema(self.path)
        self.types = {field.name: field.type for field in schema}
        return list(schema.names)

    def scan(self) -> str:
        return "read_parquet($existing)"

    def staged_type(self, name: str, arrow_type: pa.DataType) -> pa.DataType:
        return self.types.get(name, arrow_type)

    def encode(
        self, con: duckdb.DuckDBPyConnection, table: pa.Table, staged: pa.Schema
    ) -> pa.Table:
        columns = []
        for field in table.schema:
            column = table.column(field.name)
            wanted = pa.int64() if field.name == ROW else staged.field(field.name).type
            if column.type != wanted:
                column = _cast(field.name, column, wanted, self.path.name)
            columns.append(column)
        return pa.table(columns, names=table.column_names)

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        params: Mapping[str, Any],
        destination: Path,
        schema: pa.Schema,
    ) -> None:
        # Streamed through pyarrow so the file gets exactly the Arrow types
        # of the schema, not DuckDB's choice of Parquet types.
        reader = con.sql(query, params=dict(params)).to_arrow_reader(OUTPUT_BATCH_ROWS)
        try:
            with pq.ParquetWriter(destination, schema) as writer:
                for batch in reader:
                    writer.write_batch(_conform(batch, schema))
        finally:
            reader.close()


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """`batch` with exactly the types of `schema`.

    DuckDB types a column that is NULL in every row loosely (a NULL literal),
    and such a column cannot always be cast (say to a struct), so it is
    rebuilt as nulls of the wanted type.
    """
    arrays = []
    for array, field in zip(batch.columns, schema, strict=True):
        if array.type == field.type:
            arrays.append(array)
        elif array.null_count == len(array):
            arrays.append(pa.nulls(len(array), field.type))
        else:
            arrays.append(array.cast(field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _cast(name: str, column: pa.ChunkedArray, wanted: pa.DataType, file: str) -> pa.ChunkedArray:
    """`column` as `wanted`, refusing lossy conversions (overflow, truncation)."""
    try:
        return column.cast(wanted, safe=True)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise Unrepresentable(
            f"column {name!r}: {column.type} values cannot be stored in the {wanted} "
            f"column of {file}: {exc}",
            every_row=True,
        ) from exc
    except pa.ArrowInvalid as exc:
        raise Unrepresentable(
            f"column {name!r}: the value cannot be stored in the {wanted} column of {file}: {exc}"
        ) from exc


STORAGES: dict[FileFormat, type[Storage]] = {
    FileFormat.CSV: CsvStorage,
    FileFormat.JSONL: JsonLinesStorage,
    FileFormat.PARQUET: ParquetStorage,
}


def storage_for(file_format: FileFormat, path: Path) -> Storage:
    """The storage form of a target file of `file_format` at `path`."""
    return STORAGES[file_format](path)
