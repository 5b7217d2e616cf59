"""MySQL/MariaDB type names to field and Arrow types, and result-set column
descriptions to type names.

MySQL `TIMESTAMP` values are stored in UTC and converted to the session time
zone on reading; Syncline sessions use `+00:00`, so they are read as UTC
instants. `DATETIME` has no time zone and stays naive.
"""

from __future__ import annotations

import pyarrow as pa

from syncline.connectors.compatibility import (
    Acceptance,
    Fit,
    NameRules,
    ValueDomain,
    ValueKind,
    decimal_domain,
    integer_domain,
    text_domain,
)
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
    decimal_mapping,
    parse_type_name,
)
from syncline.connectors.vocabulary import FieldType

_INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"})
_DECIMALS = frozenset({"decimal", "numeric", "dec", "fixed"})
_SCALARS: dict[str, TypeMapping] = {
    "float": FLOAT,
    "double": FLOAT,
    "double precision": FLOAT,
    "real": FLOAT,
    "bool": BOOLEAN,
    "boolean": BOOLEAN,
    "json": JSON,
    "date": DATE,
    "datetime": TIMESTAMP,
    "timestamp": TIMESTAMP_UTC,
    **dict.fromkeys(
        (
            "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set",
            "time", "uuid", "inet4", "inet6", "null",
        ),
        TEXT,
    ),
    **dict.fromkeys(
        (
            "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry",
            "point", "linestring", "polygon", "multipoint", "multilinestring",
            "multipolygon", "geometrycollection",
        ),
        BINARY,
    ),
}  # fmt: skip


def mysql_type(type_name: str) -> TypeMapping:
    """Map a MySQL column type such as `int(11) unsigned` or `decimal(10,2)`.

    `tinyint(1)` and `bit(1)` are booleans; `bigint unsigned` is uint64;
    other `bit(n)` are unsigned integers; unknown types read as text.
    """
    parsed = parse_type_name(type_name)
    words = parsed.base.replace("zerofill", "").split()
    base = " ".join(word for word in words if word not in ("unsigned", "signed"))
    unsigned = "unsigned" in words
    if base == "tinyint" and parsed.args == (1,):
        return BOOLEAN
    if base in _INTEGERS:
        return (FieldType.NUMBER, pa.uint64()) if base == "bigint" and unsigned else INTEGER
    if base in _DECIMALS:
        return decimal_mapping(parsed.args or (10, 0))
    if base == "bit":
        return BOOLEAN if parsed.args in ((), (1,)) else (FieldType.NUMBER, pa.uint64())
    return _SCALARS.get(base, UNKNOWN)


_INTEGER_BITS = {
    "tinyint": 8,
    "smallint": 16,
    "mediumint": 24,
    "int": 32,
    "integer": 32,
    "bigint": 64,
}
_TEXT_LENGTHS = {"tinytext": 255, "text": None, "mediumtext": None, "longtext": None}
_DOMAINS: dict[str, ValueDomain] = {
    "float": ValueDomain(ValueKind.FLOAT),
    "double": ValueDomain(ValueKind.FLOAT),
    "double precision": ValueDomain(ValueKind.FLOAT),
    "real": ValueDomain(ValueKind.FLOAT),
    "bool": ValueDomain(ValueKind.BOOLEAN),
    "boolean": ValueDomain(ValueKind.BOOLEAN),
    "json": ValueDomain(ValueKind.JSON),
    "date": ValueDomain(ValueKind.DATE),
    "datetime": ValueDomain(ValueKind.TIMESTAMP),
    "timestamp": ValueDomain(ValueKind.TIMESTAMP),
    "time": ValueDomain(ValueKind.TIME),
    # YEAR takes 0 and 1901-2155 (and two digits for 1970-2069).
    "year": ValueDomain(ValueKind.INTEGER, low=0, high=2155),
    **dict.fromkeys(("enum", "set", "uuid", "inet4", "inet6"), ValueDomain(ValueKind.TYPED_TEXT)),
    **dict.fromkeys(("tinyblob", "blob", "mediumblob", "longblob"), ValueDomain(ValueKind.BINARY)),
}


def mysql_domain(type_name: str) -> ValueDomain:
    """The values a column of MySQL type `type_name` holds (`int(11) unsigned`,
    `varchar(255)`, `decimal(10,2)`); geometries and unknown types are
    `ValueKind.UNKNOWN`."""
    parsed = parse_type_name(type_name)
    words = parsed.base.replace("zerofill", "").split()
    base = " ".join(word for word in words if word not in ("unsigned", "signed"))
    unsigned = "unsigned" in words
    if (base == "tinyint" and parsed.args == (1,)) or (base == "bit" and parsed.args in ((), (1,))):
        return ValueDomain(ValueKind.BOOLEAN)
    if base in _INTEGER_BITS:
        return integer_domain(_INTEGER_BITS[base], unsigned=unsigned)
    if base == "bit":
        return integer_domain(parsed.args[0], unsigned=True)
    if base in _DECIMALS:
        args = parsed.args or (10, 0)
        return decimal_domain(args[0], args[1] if len(args) > 1 else 0)
    if base in ("char", "varchar"):
        return text_domain(parsed.args[0] if parsed.args else 1)
    if base in _TEXT_LENGTHS:
        return text_domain(_TEXT_LENGTHS[base])
    if base in ("binary", "varbinary"):
        return ValueDomain(ValueKind.BINARY, length=parsed.args[0] if parsed.args else 1)
    return _DOMAINS.get(base, ValueDomain(ValueKind.UNKNOWN))


K = ValueKind
ACCEPTANCE = Acceptance(
    overrides={
        # Booleans are TINYINT(1): true and false are written as 1 and 0.
        (K.BOOLEAN, K.INTEGER): Fit.EXACT,
        (K.BOOLEAN, K.DECIMAL): Fit.EXACT,
        (K.BOOLEAN, K.FLOAT): Fit.EXACT,
        (K.BOOLEAN, K.JSON): Fit.EXACT,
    },
    boolean_text=frozenset({"1", "0"}),
    zoned_text=False,
)
"""What MySQL/MariaDB columns take beyond Syncline's table (`compatibility.WRITES`)."""

NAMES = NameRules(max_length=64, trailing_space=False, basic_plane_only=True)
"""MariaDB refuses names ending in white space, longer than 64 characters, or
holding characters beyond the Basic Multilingual Plane."""


# Result-set metadata (protocol constants, so the driver need not be imported).
NOT_NULL_FLAG = 1
UNSIGNED_FLAG = 32
ENUM_FLAG = 256
SET_FLAG = 2048
BINARY_CHARSET = 63

_INTEGER_CODES = {1: "tinyint", 2: "smallint", 3: "int", 8: "bigint", 9: "mediumint"}
_FIXED_CODES = {
    4: "float", 5: "double", 6: "null", 7: "timestamp", 10: "date", 11: "time",
    12: "datetime", 14: "date", 245: "json", 255: "geometry",
}  # fmt: skip
_BLOB_CODES = frozenset({249, 250, 251, 252})
_DECIMAL_CODES = frozenset({0, 246})
_MAX_BYTES_PER_CHAR = {"utf8mb4": 4, "utf8mb3": 3, "utf8": 3, "ucs2": 2, "utf16": 4, "utf32": 4}


def result_type_name(
    type_code: int, length: int, scale: int, flags: int, charset: str | None
) -> str:
    """The MySQL type name of a result-set column (from its protocol metadata).

    `charset` is the column's character set name, None for binary data.
    """
    unsigned = " unsigned" if flags & UNSIGNED_FLAG else ""
    if type_code == 13:
        return f"year({length})"
    if type_code in _INTEGER_CODES:
        return f"{_INTEGER_CODES[type_code]}({length}){unsigned}"
    if type_code in _DECIMAL_CODES:
        precision = length - (1 if scale else 0) - (0 if unsigned else 1)
        return f"decimal({precision},{scale}){unsigned}"
    if type_code in _FIXED_CODES:
        return _FIXED_CODES[type_code]
    if type_code == 16:
        return f"bit({length})"
    if flags & ENUM_FLAG:
        return "enum"
    if flags & SET_FLAG:
        return "set"
    chars = length // _MAX_BYTES_PER_CHAR.get(charset or "", 1)
    if type_code in _BLOB_CODES:
        return _blob_name(chars, text=charset is not None)
    if type_code in (15, 253):
        return f"varchar({chars})" if charset else f"varbinary({length})"
    if type_code == 254:
        if length == 0:
            return "null"
        return f"char({chars})" if charset else f"binary({length})"
    return "unknown"


def _blob_name(chars: int, *, text: bool) -> str:
    size = "tiny" if chars <= 255 else "" if chars <= 65535 else "medium"
    if chars > 16777215:
        size = "long"
    return f"{size}{'text' if text else 'blob'}"
