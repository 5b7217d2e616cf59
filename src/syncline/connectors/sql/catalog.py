"""Catalog records and name handling shared by the SQL connectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RelationKind = Literal["table", "view"]
"""What a named relation is: a base table (writable target) or a view."""


@dataclass(frozen=True)
class TableRef:
    """A table or view named by schema and name."""

    schema: str
    name: str

    @property
    def value(self) -> str:
        """The `schema.name` form used in model configurations and target ids."""
        return f"{self.schema}.{self.name}"


def split_table(value: str, default_schema: str) -> TableRef:
    """Split a model's `table` value on its first dot.

    A value without a dot names a table in `default_schema`.
    """
    schema, dot, name = value.partition(".")
    if not dot:
        return TableRef(default_schema, value)
    return TableRef(schema, name)


@dataclass(frozen=True)
class Column:
    """One column of a table, view or query result as the catalog describes it.

    `remote_type` is the type as the database spells it; `type_name` is what
    the dialect's type mapping reads when it differs (a PostgreSQL enum or
    domain), and defaults to `remote_type`. `generated` means the database
    alone writes the column (computed, or GENERATED ALWAYS AS IDENTITY);
    `has_default` means an insert may omit it.
    """

    name: str
    remote_type: str
    nullable: bool = True
    unique: bool = False
    has_default: bool = False
    generated: bool = False
    type_name: str = ""

    @property
    def mapped_name(self) -> str:
        """The type name the dialect's type mapping should read."""
        return self.type_name or self.remote_type


def quote_identifier(name: str, quote: str) -> str:
    """Quote an identifier with `quote`, doubling any quote inside it."""
    return f"{quote}{name.replace(quote, quote * 2)}{quote}"


def strip_query(query: str) -> str:
    """A model query without surrounding blanks and trailing semicolons."""
    text = query.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text
