"""PostgreSQL type names (as `format_type` spells them) to field and Arrow types,
and to the value domains sync validation checks mappings with."""

from __future__ import annotations

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


_DOMAINS: dict[str, ValueDomain] = {
    "smallint": integer_domain(16),
    "integer": integer_domain(32),
    "bigint": integer_domain(64),
    "oid": integer_domain(32, unsigned=True),
    "real": ValueDomain(ValueKind.FLOAT),
    "double precision": ValueDomain(ValueKind.FLOAT),
    "money": decimal_domain(None, None),
    "boolean": ValueDomain(ValueKind.BOOLEAN),
    "text": text_domain(),
    "citext": text_domain(),
    "character varying": text_domain(),
    '"char"': text_domain(1),
    "name": text_domain(63),
    "date": ValueDomain(ValueKind.DATE),
    "timestamp without time zone": ValueDomain(ValueKind.TIMESTAMP),
    "timestamp with time zone": ValueDomain(ValueKind.TIMESTAMP),
    "time without time zone": ValueDomain(ValueKind.TIME),
    "time with time zone": ValueDomain(ValueKind.TIME),
    "json": ValueDomain(ValueKind.JSON),
    "jsonb": ValueDomain(ValueKind.JSON),
    "bytea": ValueDomain(ValueKind.BINARY),
    "interval": ValueDomain(ValueKind.INTERVAL),
    **dict.fromkeys(
        (
            "uuid", "inet", "cidr", "macaddr", "macaddr8", "bit", "bit varying",
            "tsvector", ENUM,
        ),
        ValueDomain(ValueKind.TYPED_TEXT),
    ),
}  # fmt: skip


def postgresql_domain(type_name: str) -> ValueDomain:
    """The values a column of PostgreSQL type `type_name` holds (`varchar(20)`,
    `numeric(10,2)`, `integer[]`); unknown types are `ValueKind.UNKNOWN`."""
    parsed = parse_type_name(type_name)
    if parsed.array:
        return ValueDomain(ValueKind.ARRAY)
    if parsed.base in ("numeric", "decimal"):
        precision = parsed.args[0] if parsed.args else None
        return decimal_domain(precision, parsed.args[1] if len(parsed.args) > 1 else 0)
    if parsed.base in ("character varying", "character"):
        # `character` alone is char(1); `character varying` alone has no limit.
        default = 1 if parsed.base == "character" else None
        return text_domain(parsed.args[0] if parsed.args else default)
    return _DOMAINS.get(parsed.base, ValueDomain(ValueKind.UNKNOWN))


K = ValueKind
ACCEPTANCE = Acceptance(
    overrides={
        # COPY reads a fraction ("1.5", "2.0") into no integer type.
        (K.DECIMAL, K.INTEGER): Fit.NEVER,
        (K.FLOAT, K.INTEGER): Fit.NEVER,
        (K.DECIMAL, K.BOOLEAN): Fit.NEVER,
        (K.FLOAT, K.BOOLEAN): Fit.NEVER,
    },
    boolean_text=frozenset(
        {"true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"}
    ),
)
"""What PostgreSQL columns take beyond Syncline's table (`compatibility.WRITES`)."""

NAMES = NameRules(max_length=63, length_in_bytes=True)
"""PostgreSQL cuts longer names to 63 bytes, so a created column would not be found again."""
