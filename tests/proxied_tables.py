"""A target table on PostgreSQL or MariaDB reached through a `FaultProxy`, for fault tests.

    with proxied_table("postgresql", pg_config, mysql_config, "drop_t", COLUMNS) as table:
        table.proxy.arm("drop", pattern=b"COPY ", nth=2)
        ...  # write to table.object_id with table.connector()
        assert table.ids() == [...]

The table `t` lives in a temporary schema (PostgreSQL) or database
(MariaDB) removed afterwards; `ids()` reads it directly, past the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql

from syncline.connectors.base import TargetConnector
from syncline.connectors.mysql import MysqlConnector
from syncline.connectors.mysql.config import MysqlConfig
from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.postgresql.config import PostgresqlConfig
from tests.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DSN,
    PG_HOST,
    PG_PORT,
    temporary_maria_database,
    temporary_pg_schema,
)
from tests.faults import FaultProxy

KINDS = ("postgresql", "mysql")


@dataclass(frozen=True)
class ProxiedTable:
    """Table `t` of `database` (a schema on PostgreSQL), behind `proxy`."""

    kind: str
    proxy: FaultProxy
    configuration: dict[str, Any]
    """The connection's configuration, pointing at the proxy."""
    database: str

    @property
    def object_id(self) -> str:
        return f"{self.database}.t"

    def connector(self) -> TargetConnector:
        """A connector to the table's database through the proxy."""
        if self.kind == "postgresql":
            return PostgresqlConnector(PostgresqlConfig.model_validate(self.configuration))
        return MysqlConnector(MysqlConfig.model_validate(self.configuration))

    def ids(self) -> list[int]:
        """The ids the table holds, read past the proxy."""
        if self.kind == "postgresql":
            with psycopg.connect(PG_DSN) as conn:
                return [r[0] for r in conn.execute(f'SELECT id FROM "{self.database}".t')]
        maria = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER)
        try:
            with maria.cursor() as cursor:
                cursor.execute(f"SELECT id FROM `{self.database}`.t")
                return [int(r[0]) for r in cursor.fetchall()]
        finally:
            maria.close()


@contextmanager
def proxied_table(
    kind: str,
    pg_config: Mapping[str, Any],
    mysql_config: Mapping[str, Any],
    prefix: str,
    columns: Mapping[str, str],
) -> Iterator[ProxiedTable]:
    """An empty table `t` with `columns[kind]` (its parenthesized definition, plus
    any table options) in a temporary schema or database named from `prefix`."""
    if kind == "postgresql":
        with (
            temporary_pg_schema(prefix, f"CREATE TABLE {{schema}}.t {columns[kind]}") as schema,
            FaultProxy(PG_HOST, PG_PORT) as proxy,
        ):
            config = {**pg_config, "hostname": proxy.host, "port": proxy.port}
            yield ProxiedTable(kind, proxy, config, schema)
        return
    with (
        temporary_maria_database(prefix, f"CREATE TABLE {{database}}.t {columns[kind]}") as name,
        FaultProxy(MYSQL_HOST, MYSQL_PORT) as proxy,
    ):
        config = {**mysql_config, "dbname": name, "hostname": proxy.host, "port": proxy.port}
        yield ProxiedTable(kind, proxy, config, name)
