"""`SqlSource`: the source side of every SQL connector over the dialect hooks."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from syncline.connectors.base import (
    Choice,
    ConfigurationOption,
    Field,
    SourceConnector,
    SourceDescription,
    SourceItem,
)
from syncline.connectors.sql.arrow import arrow_schema, rows_to_batch
from syncline.connectors.sql.catalog import Column, TableRef, split_table, strip_query
from syncline.connectors.sql.connection import DbConnection, SqlConnection
from syncline.connectors.sql.source_filter import SourceFilterDialect, where_clause
from syncline.connectors.sql.stream import BatchStream, Fetch, Reading
from syncline.connectors.writing import TargetFilter
from syncline.errors import (
    BadRequest,
    ConnectorError,
    InvalidSourceConfiguration,
    ObjectNotFound,
)

SOURCE_PARAMETERS = ("schema", "table", "query")
"""The `params` keys `describe_source` understands."""

SOURCE_KEYS = ("table", "query")
"""The model configuration keys exactly one of which a SQL model sets."""


class SqlSource(SqlConnection, SourceConnector):
    """Tables, views and queries of a SQL database as model sources."""

    @abstractmethod
    def _query_columns(self, conn: DbConnection, query: str) -> list[Column]:
        """The result columns of `query` as the database describes them,
        without running it over the tables it reads."""

    @abstractmethod
    def _start_stream(
        self, conn: DbConnection, sql: str, params: Sequence[Any], batch_size: int
    ) -> Fetch:
        """Run `sql` on a streaming (server-side or unbuffered) cursor and
        return the function fetching its next chunk of `batch_size` rows."""

    # ------------------------------------------------------------ describe

    def describe_source(self, params: Mapping[str, Sequence[str]]) -> SourceDescription:
        """Schemas, then the tables and views of the chosen schema(s).

        `params` may hold `schema` (list its tables), `table` (verify it and
        list its schema's tables) and `query` (accepted as is). Raises
        `BadRequest` for other keys, `ObjectNotFound` for an unknown schema
        or table.
        """
        unknown = sorted(set(params) - set(SOURCE_PARAMETERS))
        if unknown:
            raise BadRequest(
                f"unknown source parameter {unknown[0]!r}; allowed: {', '.join(SOURCE_PARAMETERS)}",
                metadata={"path": f"params.{unknown[0]}"},
            )
        with self._session() as conn:
            schemas = self._schemas(conn)
            chosen = list(dict.fromkeys(_param_values(params, "schema")))
            for value in _param_values(params, "table"):
                ref = split_table(value, self.default_schema)
                if ref.schema not in schemas or self._relation_kind(conn, ref) is None:
                    raise ObjectNotFound(f"table {value!r} not found", metadata={"table": value})
                if ref.schema not in chosen:
                    chosen.append(ref.schema)
            for schema in chosen:
                if schema not in schemas:
                    raise ObjectNotFound(
                        f"schema {schema!r} not found", metadata={"schema": schema}
                    )
            tables = self._tables(conn, chosen, views=True) if chosen else []
        return SourceDescription(
            items={
                "schema": SourceItem(choices=[Choice(s, s) for s in schemas]),
                "table": SourceItem(
                    choices=[Choice(t.value, t.name) for t in tables],
                    requires_one_of=["schema"],
                ),
                "query": None,
            },
            requires_one_of=list(SOURCE_KEYS),
            configuration={key: ConfigurationOption("string") for key in SOURCE_KEYS},
        )

    def source_fields(self, configuration: Mapping[str, Any]) -> list[Field]:
        """The fields of a `table` or `query` configuration.

        Raises `InvalidSourceConfiguration` unless exactly one of the two is
        set, or when the database refuses the query; `ObjectNotFound` for an
        unknown table.
        """
        with self._session() as conn:
            return self._fields(conn, configuration)

    def _fields(self, conn: DbConnection, configuration: Mapping[str, Any]) -> list[Field]:
        return [self._field(column) for column in self._source_columns(conn, configuration)]

    def _source_columns(self, conn: DbConnection, configuration: Mapping[str, Any]) -> list[Column]:
        """The columns a `table` or `query` configuration reads (see `source_fields`)."""
        table, query = source_keys(configuration)
        if query is not None:
            with self._translate(InvalidSourceConfiguration):
                columns = self._query_columns(conn, query)
            if not columns:
                raise InvalidSourceConfiguration("the query returns no columns")
        else:
            ref = split_table(table or "", self.default_schema)
            columns = self._columns(conn, ref) if self._relation_kind(conn, ref) else []
            if not columns:
                raise ObjectNotFound(f"table {table!r} not found", metadata={"table": table})
        return columns

    def _field(self, column: Column) -> Field:
        field_type, arrow_type = self.map_type(column.mapped_name)
        return Field(
            name=column.name,
            type=field_type,
            remote_type=column.remote_type,
            arrow_type=arrow_type,
            nullable=column.nullable,
            unique=column.unique,
        )

    # ------------------------------------------------------------ read

    def read(
        self,
        configuration: Mapping[str, Any],
        *,
        batch_size: int = 10_000,
        limit: int | None = None,
        where: TargetFilter | None = None,
    ) -> pa.RecordBatchReader:
        """Stream a table or query as record batches of at most `batch_size` rows.

        The part of `where` that can be said in SQL without dropping a row
        the caller's own filter would keep goes into the statement
        (`source_filter.pushable`); sources without a filter dialect ignore it.

        The statement runs as a `COPY ... TO STDOUT` parsed by Arrow or on a
        server-side cursor (PostgreSQL), on an unbuffered (MySQL) or plain
        stepping (SQLite) cursor, so memory follows the batch size.
        `limit` becomes a bound `LIMIT`. The connection closes when the
        batches run out, when one fails, or when the reader is dropped
        (pyarrow's `close()` keeps the Python iterator, see `BatchStream`).
        Raises `BadRequest` for a non-positive batch size or negative limit,
        what `source_fields` raises for the configuration, and
        `ConnectorError` (scrubbed) for any failure while streaming.
        """
        if batch_size < 1:
            raise BadRequest(f"batch_size must be at least 1, got {batch_size}")
        if limit is not None and limit < 0:
            raise BadRequest(f"limit must not be negative, got {limit}")
        conn = self._connect()
        try:
            with self._translate(ConnectorError), self._watched(conn):
                columns = self._source_columns(conn, configuration)
                fields = [self._field(column) for column in columns]
                sql, params = self._select(configuration, fields, limit, where)
                schema = arrow_schema(fields)
                reading = self._start_reading(
                    conn, sql, params, columns, fields, schema, batch_size
                )
        except BaseException:
            self._close(conn)
            raise
        stream = BatchStream(
            reading,
            close=lambda: self._close(conn),
            guard=lambda: self._guarded(conn),
        )
        return pa.RecordBatchReader.from_batches(schema, stream)

    @contextmanager
    def _guarded(self, conn: DbConnection) -> Iterator[None]:
        """One fetch of a running read: guarded by the call limits, driver errors
        translated."""
        with self._translate(ConnectorError), self._watched(conn):
            yield

    def _start_reading(
        self,
        conn: DbConnection,
        sql: str,
        params: Sequence[Any],
        columns: Sequence[Column],
        fields: Sequence[Field],
        schema: pa.Schema,
        batch_size: int,
    ) -> Reading[Any]:
        """Run the statement reading a model and say how its result becomes batches.

        `columns` and `fields` describe the statement's result columns in
        order, `schema` is their Arrow schema. The default streams row tuples
        from `_start_stream` and converts them column by column; a dialect
        with a faster bulk path overrides this. May raise the driver's errors.
        """
        fetch = self._start_stream(conn, sql, params, batch_size)
        return Reading(fetch, lambda rows: rows_to_batch(rows, fields, schema))

    def _source_filter_dialect(self) -> SourceFilterDialect | None:
        """How filters are pushed into this database's queries; None: they are not."""
        return None

    def _select(
        self,
        configuration: Mapping[str, Any],
        fields: Sequence[Field],
        limit: int | None,
        where: TargetFilter | None = None,
    ) -> tuple[str, list[Any]]:
        """The statement reading a configuration, and its bound parameters."""
        table, query = source_keys(configuration)
        if query is None:
            ref: TableRef = split_table(table or "", self.default_schema)
            columns = ", ".join(self.quote(f.name) for f in fields)
            base = f"SELECT {columns} FROM {self.qualified(ref)}"
        else:
            base = query
        dialect = self._source_filter_dialect()
        clause = (
            where_clause(where, {f.name: f for f in fields}, dialect, datetime.now(UTC))
            if where is not None and dialect is not None
            else None
        )
        if clause is None and limit is None:
            return base, []
        params: list[Any] = []
        if clause is None and query is None:
            sql = self.bindable(base)
        else:
            sql = f"SELECT * FROM (\n{self.bindable(base)}\n) AS q"
        if clause is not None:
            sql += f" WHERE {clause[0]}"
            params.extend(clause[1])
        if limit is not None:
            sql += f" LIMIT {self.placeholder}"
            params.append(limit)
        return sql, params


def source_keys(configuration: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The `table` and `query` of a model configuration, exactly one of them set.

    The query comes back without trailing semicolons. Raises
    `InvalidSourceConfiguration` naming the keys otherwise.
    """
    present = [key for key in SOURCE_KEYS if configuration.get(key) not in (None, "")]
    if len(present) != 1:
        found = ", ".join(present) or "neither"
        raise InvalidSourceConfiguration(
            f"a SQL source configuration needs exactly one of 'table' or 'query' (found: {found})",
            metadata={"keys": list(SOURCE_KEYS)},
        )
    value = configuration[present[0]]
    if not isinstance(value, str):
        raise InvalidSourceConfiguration(f"{present[0]!r} must be a string")
    if present[0] == "table":
        return value, None
    query = strip_query(value)
    if not query:
        raise InvalidSourceConfiguration("'query' is empty")
    return None, query


def _param_values(params: Mapping[str, Sequence[str]], key: str) -> list[str]:
    """The values of one `params` key; a bare string counts as one value."""
    values = params.get(key, ())
    return [values] if isinstance(values, str) else [v for v in values if v]
