"""Helpers for the dialects' type mappings: parsing native type names and the
Arrow types every SQL connector agrees on."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from syncline.connectors.vocabulary import FieldType

TypeMapping = tuple[FieldType, pa.DataType]
"""A native type's normalized field type and the Arrow type its values take."""

MAX_DECIMAL128_PRECISION = 38

INTEGER: TypeMapping = (FieldType.NUMBER, pa.int64())
FLOAT: TypeMapping = (FieldType.NUMBER, pa.float64())
EXACT_TEXT: TypeMapping = (FieldType.NUMBER, pa.string())
TEXT: TypeMapping = (FieldType.STRING, pa.string())
BOOLEAN: TypeMapping = (FieldType.BOOLEAN, pa.bool_())
JSON: TypeMapping = (FieldType.OBJECT, pa.string())
BINARY: TypeMapping = (FieldType.BINARY, pa.binary())
DATE: TypeMapping = (FieldType.DATETIME, pa.date32())
TIMESTAMP: TypeMapping = (FieldType.DATETIME, pa.timestamp("us"))
TIMESTAMP_UTC: TypeMapping = (FieldType.DATETIME, pa.timestamp("us", tz="UTC"))
UNKNOWN: TypeMapping = (FieldType.UNKNOWN, pa.string())

_MODIFIERS = re.compile(r"\((?:'(?:[^']|'')*'|[^)'])*\)")


@dataclass(frozen=True)
class TypeName:
    """A native type name taken apart.

    `base` is lower case without modifiers or array brackets
    (`"timestamp with time zone"`, `"int unsigned"`); `args` are the numeric
    modifiers of the first parenthesized group (`numeric(10,2)` gives
    `(10, 2)`); `array` is true for a PostgreSQL array type (`integer[]`).
    """

    base: str
    args: tuple[int, ...]
    array: bool


def parse_type_name(text: str) -> TypeName:
    """Take a native type name apart (see `TypeName`)."""
    name = text.strip().lower()
    array = name.endswith("[]")
    if array:
        name = name.rstrip("[]").strip()
    args: tuple[int, ...] = ()
    group = _MODIFIERS.search(name)
    if group is not None:
        parts = [part.strip() for part in group.group(0)[1:-1].split(",")]
        if all(re.fullmatch(r"-?\d+", part) for part in parts):
            args = tuple(int(part) for part in parts)
    base = " ".join(_MODIFIERS.sub(" ", name).split())
    return TypeName(base=base, args=args, array=array)


def decimal_mapping(args: tuple[int, ...]) -> TypeMapping:
    """`decimal(p, s)` as Arrow decimal128 when it fits; exact text otherwise."""
    if not args or args[0] > MAX_DECIMAL128_PRECISION or args[0] < 1:
        return EXACT_TEXT
    scale = args[1] if len(args) > 1 else 0
    return (FieldType.NUMBER, pa.decimal128(args[0], scale))


def array_mapping(element: TypeMapping) -> TypeMapping:
    """An array of `element` values."""
    return (FieldType.ARRAY, pa.list_(element[1]))
