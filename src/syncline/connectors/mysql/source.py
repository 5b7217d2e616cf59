"""The MySQL source side: result types from `LIMIT 0`, unbuffered cursors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syncline.connectors.mysql.connection import MysqlConnection
from syncline.connectors.mysql.types import BINARY_CHARSET, NOT_NULL_FLAG, result_type_name
from syncline.connectors.sql.catalog import Column
from syncline.connectors.sql.connection import DbConnection
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.source_filter import SourceFilterDialect
from syncline.connectors.sql.stream import Fetch
from syncline.connectors.sql.values import utc_naive


class MysqlSource(MysqlConnection, SqlSource):
    """MySQL/MariaDB tables, views and queries as model sources."""

    def _source_filter_dialect(self) -> SourceFilterDialect:
        """Model filters are pushed down; instants bind as naive UTC (the session zone)."""
        return SourceFilterDialect(
            self.placeholder,
            lambda name: self.bindable(self.quote(name)),
            lambda value: utc_naive(value) if isinstance(value, datetime) else value,
        )

    def _query_columns(self, conn: DbConnection, query: str) -> list[Column]:
        """Run the query wrapped in `LIMIT 0`, which MySQL answers without
        reading rows, and read the result-set metadata."""
        cursor = conn.cursor()
        try:
            cursor.execute(f"SELECT * FROM (\n{query}\n) AS q LIMIT 0")
            # The column flags and character sets (unsigned, binary, enum) are
            # only on PyMySQL's result fields, not in the DB-API description.
            fields = cursor._result.fields if cursor._result is not None else []
        finally:
            cursor.close()
        columns = []
        for f in fields:
            charset = _charset_name(f.charsetnr)
            columns.append(
                Column(
                    name=f.name,
                    remote_type=result_type_name(f.type_code, f.length, f.scale, f.flags, charset),
                    nullable=not f.flags & NOT_NULL_FLAG,
                )
            )
        return columns

    def _start_stream(
        self, conn: DbConnection, sql: str, params: Sequence[Any], batch_size: int
    ) -> Fetch:
        """Run `sql` on PyMySQL's unbuffered `SSCursor`.

        The cursor is never closed by itself: `SSCursor.close()` would read
        every remaining row, so an abandoned stream closes the connection.
        """
        from pymysql.cursors import SSCursor

        cursor = conn.cursor(SSCursor)
        cursor.execute(sql, list(params) or None)

        def fetch() -> Sequence[Sequence[Any]]:
            rows: Sequence[Sequence[Any]] = cursor.fetchmany(batch_size)
            return rows

        return fetch


def _charset_name(charset_id: int) -> str | None:
    """The character set of a result column; None for binary data."""
    from pymysql.charset import charset_by_id

    if charset_id == BINARY_CHARSET:
        return None
    try:
        return str(getattr(charset_by_id(charset_id), "name", ""))
    except KeyError:
        return ""
