"""PostgreSQL type names (as `format_type` spells them) to field and Arrow types."""

from __future__ import annotations

from syncline.connectors.sql.types import (
    BINARY,
    BOOLEAN,
    DATE,
    FLOAT,
    INTEGER,
    JSON,
    TEXT,
    TIMESTAMP,
    TIMESTAMP_UTC,
    UNKNOWN,
    TypeMapping,
    TypeName,
    array_mapping,
    decimal_mapping,
    parse_type_name,
)

ENUM = "enum"
"""The name the catalog queries give every enum type (enum names are the user's)."""

_SCALARS: dict[str, TypeMapping] = {
    "smallint": INTEGER,
    "integer": INTEGER,
    "bigint": INTEGER,
    "oid": INTEGER,
    "real": FLOAT,
    "double precision": FLOAT,
    "boolean": BOOLEAN,
    "text": TEXT,
    "character varying": TEXT,
    "character": TEXT,
    '"char"': TEXT,
    "name": TEXT,
    "citext": TEXT,
    "uuid": TEXT,
    "money": TEXT,
    "inet": TEXT,
    "cidr": TEXT,
    "macaddr": TEXT,
    "macaddr8": TEXT,
    "xml": TEXT,
    "interval": TEXT,
    "time without time zone": TEXT,
    "time with time zone": TEXT,
    "bit": TEXT,
    "bit varying": TEXT,
    "tsvector": TEXT,
    ENUM: TEXT,
    "json": JSON,
    "jsonb": JSON,
    "bytea": BINARY,
    "date": DATE,
    "timestamp without time zone": TIMESTAMP,
    "timestamp with time zone": TIMESTAMP_UTC,
}


def postgresql_type(type_name: str) -> TypeMapping:
    """Map a PostgreSQL type name such as `numeric(10,2)` or `integer[]`.

    Unbounded `numeric` becomes exact text; arrays become Arrow lists of
    their element type; unknown types are `unknown` read as text.
    """
    parsed = parse_type_name(type_name)
    scalar = _scalar(parsed)
    return array_mapping(scalar) if parsed.array else scalar


def _scalar(parsed: TypeName) -> TypeMapping:
    if parsed.base in ("numeric", "decimal"):
        return decimal_mapping(parsed.args)
    return _SCALARS.get(parsed.base, UNKNOWN)
