"""The PostgreSQL source side: query description through libpq, server-side cursors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncline.connectors.postgresql.connection import PostgresqlConnection, type_name_sql
from syncline.connectors.sql.catalog import Column
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.source_filter import SourceFilterDialect
from syncline.connectors.sql.stream import Fetch
from syncline.errors import InvalidSourceConfiguration

_RESOLVE_TYPES_SQL = f"""
SELECT format_type(x.oid, x.mod), {type_name_sql("x.mod")}
FROM unnest(%s::oid[], %s::int4[]) WITH ORDINALITY AS x(oid, mod, n)
JOIN pg_type t ON t.oid = x.oid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
ORDER BY x.n
"""

CURSOR_NAME = "syncline_read"


class PostgresqlSource(PostgresqlConnection, SqlSource):
    """PostgreSQL tables, views and queries as model sources."""

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

    def _raise_for_result(self, result: Any, encoding: str) -> None:
        """Raise `InvalidSourceConfiguration` with the server's message for a failed result."""
        from psycopg import pq

        if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            return
        primary = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
        raw = primary or result.error_message or b"the query was refused"
        raise InvalidSourceConfiguration(self.scrub(raw.decode(encoding, "replace").strip()))
