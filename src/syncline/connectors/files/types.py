"""How DuckDB's column types map onto Syncline's field types and value domains,
and what each file format accepts."""

from __future__ import annotations

import re

from syncline.connectors.compatibility import (
    Acceptance,
    Fit,
    NameRules,
    ValueDomain,
    ValueKind,
    decimal_domain,
    integer_domain,
)
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


_INTEGER_BITS = {
    "TINYINT": (8, False), "SMALLINT": (16, False), "INTEGER": (32, False),
    "BIGINT": (64, False), "HUGEINT": (128, False), "UTINYINT": (8, True),
    "USMALLINT": (16, True), "UINTEGER": (32, True), "UBIGINT": (64, True),
    "UHUGEINT": (128, True),
}  # fmt: skip
_DOMAINS: dict[str, ValueDomain] = {
    "VARINT": ValueDomain(ValueKind.INTEGER),
    "BIGNUM": ValueDomain(ValueKind.INTEGER),
    "FLOAT": ValueDomain(ValueKind.FLOAT),
    "DOUBLE": ValueDomain(ValueKind.FLOAT),
    "BOOLEAN": ValueDomain(ValueKind.BOOLEAN),
    "VARCHAR": ValueDomain(ValueKind.TEXT),
    "UUID": ValueDomain(ValueKind.TYPED_TEXT),
    "JSON": ValueDomain(ValueKind.JSON),
    "DATE": ValueDomain(ValueKind.DATE),
    "TIME": ValueDomain(ValueKind.TIME),
    "INTERVAL": ValueDomain(ValueKind.INTERVAL),
    "BLOB": ValueDomain(ValueKind.BINARY),
    **dict.fromkeys(
        (
            "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS",
            "TIMESTAMP_NS",
        ),
        ValueDomain(ValueKind.TIMESTAMP),
    ),
}  # fmt: skip
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def duckdb_domain(type_name: str) -> ValueDomain:
    """The values of a DuckDB column type as DuckDB spells it (`BIGINT`,
    `DECIMAL(18,3)`, `VARCHAR[]`, `STRUCT(a INTEGER)`); types without a clear
    counterpart are `ValueKind.UNKNOWN`."""
    name = type_name.strip().upper()
    if name.endswith("]"):
        return ValueDomain(ValueKind.ARRAY)
    if name.startswith(("STRUCT", "MAP")):
        return ValueDomain(ValueKind.JSON)
    if name.startswith("ENUM"):
        return ValueDomain(ValueKind.TYPED_TEXT)
    decimal = _DECIMAL.fullmatch(name)
    if decimal is not None:
        return decimal_domain(int(decimal.group(1)), int(decimal.group(2)))
    if name in _INTEGER_BITS:
        bits, unsigned = _INTEGER_BITS[name]
        return integer_domain(bits, unsigned=unsigned)
    return _DOMAINS.get(name, ValueDomain(ValueKind.UNKNOWN))


K = ValueKind
TEXT_ACCEPTANCE = Acceptance(boolean_text=frozenset())
"""CSV: every column is text, so any value is written (lists and objects as JSON)."""

JSON_LINES_ACCEPTANCE = Acceptance(
    # JSON has no NaN or infinity, so such a float is refused.
    overrides={(K.FLOAT, K.ANY): Fit.PER_VALUE, (K.NUMBER, K.ANY): Fit.PER_VALUE},
    boolean_text=frozenset(),
)
"""JSON Lines: every column takes any JSON value."""

PARQUET_ACCEPTANCE = Acceptance(
    overrides={
        # Arrow casts booleans to numbers and refuses a fraction into an integer.
        (K.BOOLEAN, K.INTEGER): Fit.EXACT,
        (K.BOOLEAN, K.FLOAT): Fit.EXACT,
        # Lists, objects and text do not cast into one another.
        (K.ARRAY, K.TEXT): Fit.NEVER,
        (K.JSON, K.TEXT): Fit.PER_VALUE,
        (K.TEXT, K.JSON): Fit.NEVER,
        (K.INTEGER, K.JSON): Fit.NEVER,
        (K.DECIMAL, K.JSON): Fit.NEVER,
        (K.FLOAT, K.JSON): Fit.NEVER,
        (K.ARRAY, K.JSON): Fit.NEVER,
        (K.JSON, K.JSON): Fit.PER_VALUE,
        (K.TEXT, K.BINARY): Fit.EXACT,
    },
)
"""Parquet: each column keeps its Arrow type; values are cast to it by Arrow."""

NAMES = NameRules(leading_space=False, trailing_space=False)
"""A CSV header is read back without surrounding spaces, so no file column keeps them."""
