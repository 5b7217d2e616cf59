"""Shared machinery of the SQL connectors (PostgreSQL, MySQL, SQLite).

`SqlSource` and `SqlTarget` implement the connector contract once over a small
set of dialect hooks declared on `SqlConnection`; each dialect package fills
the hooks with its own catalog queries, driver and type mapping.
"""

from syncline.connectors.sql.catalog import Column, RelationKind, TableRef, split_table
from syncline.connectors.sql.connection import SqlConnection
from syncline.connectors.sql.modes import SQL_MODES, SQL_TARGET_CAPABILITIES
from syncline.connectors.sql.source import SqlSource
from syncline.connectors.sql.target import SqlTarget

__all__ = [
    "SQL_MODES",
    "SQL_TARGET_CAPABILITIES",
    "Column",
    "RelationKind",
    "SqlConnection",
    "SqlSource",
    "SqlTarget",
    "TableRef",
    "split_table",
]
