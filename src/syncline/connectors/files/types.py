"""How DuckDB's column types map onto Syncline's field types."""

from __future__ import annotations

from syncline.connectors.vocabulary import FieldType

_BY_TYPE_ID: dict[str, FieldType] = {
    **dict.fromkeys(
        (
            "tinyint",
            "smallint",
            "integer",
            "bigint",
            "hugeint",
            "utinyint",
            "usmallint",
            "uinteger",
            "ubigint",
            "uhugeint",
            "bignum",
            "varint",
            "decimal",
            "float",
            "double",
        ),
        FieldType.NUMBER,
    ),
    **dict.fromkeys(("varchar", "uuid", "enum"), FieldType.STRING),
    "boolean": FieldType.BOOLEAN,
    **dict.fromkeys(
        (
            "date",
            "timestamp",
            "timestamp_s",
            "timestamp_ms",
            "timestamp_ns",
            "timestamp with time zone",
        ),
        FieldType.DATETIME,
    ),
    **dict.fromkeys(("list", "array"), FieldType.ARRAY),
    **dict.fromkeys(("struct", "map"), FieldType.OBJECT),
    "blob": FieldType.BINARY,
}

SCALAR_TYPES: frozenset[FieldType] = frozenset(
    {FieldType.STRING, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.DATETIME}
)
"""Field types whose values can identify a record (matched by equality)."""


def field_type(type_id: str, type_name: str) -> FieldType:
    """The field type of a DuckDB column.

    `type_id` is DuckDB's base type id (`DuckDBPyType.id`, such as "bigint" or
    "list"); `type_name` its full name (`str(DuckDBPyType)`, such as
    "BIGINT[]"). JSON is a VARCHAR alias in DuckDB, so only its name tells it
    apart. Types without a clear counterpart (TIME, INTERVAL, BIT, UNION)
    are `FieldType.UNKNOWN`.
    """
    if type_name == "JSON":
        return FieldType.OBJECT
    return _BY_TYPE_ID.get(type_id.lower(), FieldType.UNKNOWN)
