"""The PostgreSQL source side: query description through libpq; rows through
`COPY ... TO STDOUT (FORMAT csv)` parsed by Arrow, or a server-side cursor."""

from __future__ import annotations

import select
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pyarrow as pa

from syncline.connectors.base import Field
from syncline.connectors.postgresql.connection import PostgresqlConnection, type_name_sql
from syncline.connectors.postgresql.types import ENUM
from syncline.connectors.sql.arrow import CsvChunk, CsvColumn, CsvDecoder, python_decimal_text
from syncline.connectors.sql.catalog import Column
from syncline.connectors.sql.connection import CONNECT_TIMEOUT_SECONDS, DbConnection
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.source_filter import SourceFilterDialect
from syncline.connectors.sql.stream import Fetch, Reading
from syncline.connectors.sql.types import parse_type_name
from syncline.errors import ConnectorError, InvalidSourceConfiguration

_RESOLVE_TYPES_SQL = f"""
SELECT format_type(x.oid, x.mod), {type_name_sql("x.mod")}
FROM unnest(%s::oid[], %s::int4[]) WITH ORDINALITY AS x(oid, mod, n)
JOIN pg_type t ON t.oid = x.oid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
ORDER BY x.n
"""

CURSOR_NAME = "syncline_read"

COPY_TEXT_TYPES = frozenset(
    {
        "text",
        "character varying",
        "character",
        '"char"',
        "name",
        "citext",
        "uuid",
        "money",
        "xml",
        "bit",
        "bit varying",
        "tsvector",
        "macaddr",
        "macaddr8",
        "interval",
        "json",
        "jsonb",
        ENUM,
    }
)
"""Types read as text whose COPY text is exactly the string the cursor path
gives (psycopg loads them as `str`, or as objects whose `str()` is the same
text). Not `inet`/`cidr`, `time`/`timetz`, ranges: Python spells those differently."""

COPY_PARSED_TYPES = frozenset(
    {
        "smallint",
        "integer",
        "bigint",
        "oid",
        "real",
        "double precision",
        "boolean",
        "date",
        "timestamp without time zone",
    }
)
"""Types whose COPY text Arrow parses exactly into the field's Arrow type:
integers, floats (shortest round-trip text, `NaN`, `Infinity`), `t`/`f`,
ISO dates and timestamps (DateStyle ISO). A value Arrow cannot hold (an
infinite or BC date) fails the read, as it fails psycopg on the cursor path."""


class PostgresqlSource(PostgresqlConnection, SqlSource):
    """PostgreSQL tables, views and queries as model sources."""

    copy_reads: ClassVar[bool] = True
    """Read through `COPY ... (FORMAT csv)` parsed by Arrow when every column allows it."""

    def _source_filter_dialect(self) -> SourceFilterDialect:
        """Model filters are pushed down; psycopg binds Python values as they are."""
        return SourceFilterDialect(
            self.placeholder, lambda name: self.bindable(self.quote(name)), lambda value: value
        )

    def _query_columns(self, conn: DbConnection, query: str) -> list[Column]:
        """Prepare the query unnamed and describe it (libpq `PQdescribePrepared`):
        the server plans it and reports result names and types without running it."""
        encoding = conn.info.encoding
        pgconn = conn.pgconn
        prepared = pgconn.prepare(b"", query.encode(encoding))
        self._raise_for_result(prepared, encoding)
        described = pgconn.describe_prepared(b"")
        self._raise_for_result(described, encoding)
        if described.nparams:
            raise InvalidSourceConfiguration(
                "the query has parameter placeholders ($1, ...); a model query takes none"
            )
        names = [described.fname(i).decode(encoding) for i in range(described.nfields)]
        oids = [described.ftype(i) for i in range(described.nfields)]
        mods = [described.fmod(i) for i in range(described.nfields)]
        if not names:
            return []
        types = self._fetch_all(conn, _RESOLVE_TYPES_SQL, [oids, mods])
        return [
            Column(name=name, remote_type=remote_type, type_name=type_name)
            for name, (remote_type, type_name) in zip(names, types, strict=True)
        ]

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
        """Read through COPY when every column has an exact CSV reading, else a cursor.

        The statement is wrapped as `COPY (SELECT <columns> FROM (<sql>) AS
        q(c0, c1, ...)) TO STDOUT (FORMAT csv)`: positional aliases, so
        repeated or odd result names do not matter, and `timestamptz` columns
        converted `AT TIME ZONE 'UTC'`, so the session's time zone (which the
        model query may rely on) stays as it is. COPY takes no server-side
        parameters: psycopg binds `params` into the statement as quoted literals.
        """
        plan = self._copy_plan(conn, columns, fields) if self.copy_reads else None
        if plan is None:
            return super()._start_reading(conn, sql, params, columns, fields, schema, batch_size)
        aliases = ", ".join(f"c{i}" for i in range(len(plan)))
        selected = ", ".join(expression for expression, _ in plan)
        statement = (
            f"COPY (SELECT {selected} FROM (\n{sql}\n) AS q({aliases})) TO STDOUT (FORMAT csv)"
        )
        copy = _CsvCopyOut(
            conn,
            statement,
            params,
            batch_size,
            lambda result: self._raise_for_result(result, conn.info.encoding, ConnectorError),
        )
        decode = CsvDecoder(
            [column for _, column in plan], schema, true_values=["t"], false_values=["f"]
        )
        return Reading(copy.fetch, decode, copy.interrupt)

    def _copy_plan(
        self, conn: DbConnection, columns: Sequence[Column], fields: Sequence[Field]
    ) -> list[tuple[str, CsvColumn]] | None:
        """The select expression and CSV reading of each column; None when one has none.

        Also None unless the session writes dates in ISO style and text in
        UTF-8, which is what Arrow's CSV reader reads.
        """
        date_style = conn.info.parameter_status("DateStyle") or ""
        if not date_style.startswith("ISO") or conn.info.encoding != "utf-8":
            return None
        plan = []
        for index, (column, field) in enumerate(zip(columns, fields, strict=True)):
            reading = _copy_column(f"c{index}", column, field)
            if reading is None:
                return None
            plan.append(reading)
        return plan

    def _start_stream(
        self, conn: DbConnection, sql: str, params: Sequence[Any], batch_size: int
    ) -> Fetch:
        cursor = conn.cursor(name=CURSOR_NAME)
        cursor.itersize = batch_size
        cursor.execute(sql, list(params) or None)

        def fetch() -> Sequence[Sequence[Any]]:
            rows: Sequence[Sequence[Any]] = cursor.fetchmany(batch_size)
            return rows

        return fetch

    def _raise_for_result(
        self,
        result: Any,
        encoding: str,
        kind: type[ConnectorError] = InvalidSourceConfiguration,
    ) -> None:
        """Raise `kind` with the server's message for a failed result."""
        from psycopg import pq

        if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            return
        primary = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
        raw = primary or result.error_message or b"the query was refused"
        raise kind(self.scrub(raw.decode(encoding, "replace").strip()))


def _copy_column(alias: str, column: Column, field: Field) -> tuple[str, CsvColumn] | None:
    """How one result column is selected for COPY and read back; None for none exact.

    Arrays, `bytea` and types Python spells differently than PostgreSQL's
    text keep the cursor path; so does a `numeric` whose scale exceeds its
    precision, which Arrow's decimal parser refuses (the cursor path refuses
    it too, with psycopg's message).
    """
    parsed = parse_type_name(column.mapped_name)
    if parsed.array:
        return None
    arrow_type = field.arrow_type
    if parsed.base in COPY_TEXT_TYPES:
        return (alias, CsvColumn(field, arrow_type)) if pa.types.is_string(arrow_type) else None
    if parsed.base in COPY_PARSED_TYPES:
        return alias, CsvColumn(field, arrow_type)
    if parsed.base == "timestamp with time zone" and pa.types.is_timestamp(arrow_type):
        # The UTC wall time, read as a naive timestamp and viewed with the UTC zone.
        naive = pa.timestamp(arrow_type.unit)
        return f"{alias} AT TIME ZONE 'UTC'", CsvColumn(
            field, naive, lambda array: array.view(arrow_type)
        )
    if parsed.base in ("numeric", "decimal"):
        if pa.types.is_decimal(arrow_type):
            exact = arrow_type.scale <= arrow_type.precision
            return (alias, CsvColumn(field, arrow_type)) if exact else None
        if pa.types.is_string(arrow_type):
            return alias, CsvColumn(field, arrow_type, python_decimal_text)
    return None


class _CsvCopyOut:
    """The rows of a running `COPY ... TO STDOUT (FORMAT csv)`, a batch at a time.

    psycopg starts the COPY: it opens the read-only transaction, binds the
    parameters and checks the server accepted the statement. The rows are
    then taken from libpq directly, without blocking while holding the GIL:
    psycopg's `Copy.read()` returns one row per call through its waiting
    machinery, which costs more than parsing the rows does. PostgreSQL sends
    every row of a COPY in its own CopyData message, so counting messages
    gives exact batch boundaries.
    """

    def __init__(
        self,
        conn: DbConnection,
        statement: str,
        params: Sequence[Any],
        batch_size: int,
        raise_for_result: Callable[[Any], None],
    ) -> None:
        from psycopg import pq

        self._conn = conn
        self._pgconn = conn.pgconn
        self._batch_size = batch_size
        self._raise_for_result = raise_for_result
        with conn.cursor() as cursor, cursor.copy(statement, list(params) or None):
            # Leaving the block without an error leaves the rows unread, to us.
            pass
        if self._pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
            # A psycopg that drained the rows on leaving would make an empty read.
            raise ConnectorError("the COPY ended before its rows were read")
        self._running = True
        self._poll: Any = None
        if hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self._pgconn.socket, select.POLLIN)

    def fetch(self) -> CsvChunk | None:
        """The next at most batch-size rows; None once the COPY has ended.

        Raises psycopg's errors, and `ConnectorError` with the server's
        message when the statement fails midway.
        """
        if not self._running:
            return None
        get_copy_data = self._pgconn.get_copy_data
        data = bytearray()
        rows = 0
        while rows < self._batch_size:
            size, row = get_copy_data(1)
            if size > 0:
                data += row
                rows += 1
            elif size == 0:
                self._wait()
            else:
                self._finish()
                break
        return CsvChunk(data, rows) if rows else None

    def interrupt(self) -> None:
        """Cancel the statement if it still runs (a reader dropped before its end)."""
        from psycopg import pq

        if self._running:
            self._running = False
            # A connection cut off (by its call guard) has nothing left to cancel.
            if self._pgconn.status == pq.ConnStatus.OK:
                self._conn.cancel_safe(timeout=CONNECT_TIMEOUT_SECONDS)

    def _wait(self) -> None:
        """Block (without the GIL) until the server sent more, then take it in."""
        if self._poll is not None:
            self._poll.poll()
        else:
            select.select([self._pgconn.socket], [], [])
        self._pgconn.consume_input()

    def _finish(self) -> None:
        """Collect the COPY's outcome after its last row; raise if it failed."""
        from psycopg import pq

        self._running = False
        failed = None
        while True:
            while self._pgconn.is_busy():
                self._wait()
            result = self._pgconn.get_result()
            if result is None:
                break
            if result.status != pq.ExecStatus.COMMAND_OK and failed is None:
                failed = result
        if failed is not None:
            self._raise_for_result(failed)
