"""What values a field yields or a column holds, and which can be written into which.

Connectors describe each source field and each target column by a
`ValueDomain` (its kind of value and, where the type has them, its bounds),
and each target declares its `Acceptance`: the `WRITES` table below with the
entries where that database behaves differently. The service layer looks a
mapping up here when a sync is saved, so a sync whose values can never be
written is refused then, not at its first run.

The table says, for a kind of value and a kind of column:

- `EXACT`: every value is written as it is;
- `PER_VALUE`: the database converts each value, and some may be refused or
  changed (a number into a narrower column, a timestamp into a date);
- `NEVER`: no value of the kind can be written, or it is written only by
  reading a meaning into text or numbers that they do not carry (a number
  as a date). Text goes into number, boolean and date columns only through
  a model whose query casts it, so that a word in a number column is
  refused when the sync is saved rather than on every record of every run.

This module is data and the lookups over it; it imports no other layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from syncline.connectors.vocabulary import FieldType


class ValueKind(StrEnum):
    """The kind of values a source field yields or a target column holds."""

    TEXT = "text"
    TYPED_TEXT = "typed_text"
    """Values written as text and parsed by the column's type (uuid, enum, inet, interval)."""
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    NUMBER = "number"
    """A number of no known kind (a field known only by its field type); never a column's."""
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    TIME = "time"
    INTERVAL = "interval"
    JSON = "json"
    ARRAY = "array"
    BINARY = "binary"
    ANY = "any"
    """A column that stores any value as text (a CSV file's column); never a field's."""
    UNKNOWN = "unknown"


class Fit(StrEnum):
    """How values of one kind go into a column of another (see the module docstring)."""

    EXACT = "exact"
    PER_VALUE = "per_value"
    NEVER = "never"


@dataclass(frozen=True)
class ValueDomain:
    """The values of a field or column, with the bounds its type sets.

    `low`/`high` bound an integer; `precision`/`scale` a decimal (None
    precision: unbounded); `length` is the most characters of text, or bytes
    of binary, a column takes (None: no limit).
    """

    kind: ValueKind
    low: int | None = None
    high: int | None = None
    precision: int | None = None
    scale: int | None = None
    length: int | None = None


def integer_domain(bits: int, *, unsigned: bool = False) -> ValueDomain:
    """The domain of a `bits`-wide two's complement (or unsigned) integer type."""
    if unsigned:
        return ValueDomain(ValueKind.INTEGER, low=0, high=2**bits - 1)
    return ValueDomain(ValueKind.INTEGER, low=-(2 ** (bits - 1)), high=2 ** (bits - 1) - 1)


def decimal_domain(precision: int | None, scale: int | None) -> ValueDomain:
    """A decimal of `precision` digits, `scale` of them after the point.

    A scale of 0 holds whole numbers only, so it is an integer of at most
    `precision` digits; None precision is an unbounded decimal.
    """
    if precision is not None and not scale:
        bound = 10**precision - 1
        return ValueDomain(ValueKind.INTEGER, low=-bound, high=bound)
    return ValueDomain(ValueKind.DECIMAL, precision=precision, scale=scale)


def text_domain(length: int | None = None) -> ValueDomain:
    """Text of at most `length` characters (None: unbounded)."""
    return ValueDomain(ValueKind.TEXT, length=length)


BY_FIELD_TYPE: dict[FieldType, ValueKind] = {
    FieldType.STRING: ValueKind.TEXT,
    FieldType.NUMBER: ValueKind.NUMBER,
    FieldType.BOOLEAN: ValueKind.BOOLEAN,
    FieldType.DATETIME: ValueKind.TIMESTAMP,
    FieldType.ARRAY: ValueKind.ARRAY,
    FieldType.OBJECT: ValueKind.JSON,
    FieldType.BINARY: ValueKind.BINARY,
    FieldType.UNKNOWN: ValueKind.UNKNOWN,
}
"""The kind of value a field known only by its field type is taken to hold."""

FIELD_TYPE_OF: dict[ValueKind, FieldType | None] = {
    ValueKind.TEXT: FieldType.STRING,
    ValueKind.TYPED_TEXT: FieldType.STRING,
    ValueKind.TIME: FieldType.STRING,
    ValueKind.INTERVAL: FieldType.STRING,
    ValueKind.INTEGER: FieldType.NUMBER,
    ValueKind.DECIMAL: FieldType.NUMBER,
    ValueKind.FLOAT: FieldType.NUMBER,
    ValueKind.NUMBER: FieldType.NUMBER,
    ValueKind.BOOLEAN: FieldType.BOOLEAN,
    ValueKind.DATE: FieldType.DATETIME,
    ValueKind.TIMESTAMP: FieldType.DATETIME,
    ValueKind.JSON: FieldType.OBJECT,
    ValueKind.ARRAY: FieldType.ARRAY,
    ValueKind.BINARY: FieldType.BINARY,
    ValueKind.ANY: None,
    ValueKind.UNKNOWN: None,
}
"""The field type a source reports for values of each kind (None: any)."""


E, P, N = Fit.EXACT, Fit.PER_VALUE, Fit.NEVER
K = ValueKind
_COLUMNS = (
    K.ANY, K.TEXT, K.TYPED_TEXT, K.JSON, K.INTEGER, K.DECIMAL, K.FLOAT,
    K.BOOLEAN, K.DATE, K.TIMESTAMP, K.TIME, K.INTERVAL, K.BINARY, K.ARRAY, K.UNKNOWN,
)  # fmt: skip


def _row(*fits: Fit) -> dict[ValueKind, Fit]:
    return dict(zip(_COLUMNS, fits, strict=True))


WRITES: dict[ValueKind, dict[ValueKind, Fit]] = {
    # source kind:    ANY TEXT TYPED JSON INT DEC FLOAT BOOL DATE TS  TIME INTVL BIN ARRAY UNKNOWN
    K.TEXT:       _row(E, E,   P,    P,   N,  N,  N,    N,   N,   N,  P,   P,    E,  N,    P),
    K.TYPED_TEXT: _row(E, E,   P,    P,   N,  N,  N,    N,   N,   N,  P,   P,    E,  N,    P),
    K.INTEGER:    _row(E, E,   N,    E,   E,  E,  E,    P,   N,   N,  N,   P,    P,  N,    P),
    K.DECIMAL:    _row(E, E,   N,    E,   P,  E,  E,    P,   N,   N,  N,   P,    P,  N,    P),
    K.FLOAT:      _row(E, E,   N,    P,   P,  P,  E,    P,   N,   N,  N,   P,    P,  N,    P),
    K.NUMBER:     _row(E, E,   N,    P,   P,  P,  E,    P,   N,   N,  N,   P,    P,  N,    P),
    K.BOOLEAN:    _row(E, E,   N,    N,   N,  N,  N,    E,   N,   N,  N,   N,    P,  N,    P),
    K.DATE:       _row(E, E,   N,    N,   N,  N,  N,    N,   E,   E,  N,   N,    P,  N,    P),
    K.TIMESTAMP:  _row(E, E,   N,    N,   N,  N,  N,    N,   P,   E,  P,   N,    P,  N,    P),
    K.TIME:       _row(E, E,   N,    N,   N,  N,  N,    N,   N,   N,  E,   P,    P,  N,    P),
    K.INTERVAL:   _row(E, E,   N,    N,   N,  N,  N,    N,   N,   N,  P,   E,    P,  N,    P),
    K.JSON:       _row(E, E,   N,    E,   N,  N,  N,    N,   N,   N,  N,   N,    P,  N,    P),
    K.ARRAY:      _row(E, E,   N,    E,   N,  N,  N,    N,   N,   N,  N,   N,    P,  P,    P),
    K.BINARY:     _row(E, P,   N,    N,   N,  N,  N,    N,   N,   N,  N,   N,    E,  N,    P),
    K.UNKNOWN:    _row(E, E,   P,    P,   P,  P,  P,    P,   P,   P,  P,   P,    P,  P,    P),
}  # fmt: skip
"""Syncline's table of which kind of value goes into which kind of column.

Notes on entries a reader might question: a decimal or float into an
integer column is per value where the database rounds (PostgreSQL refuses
every fraction, and says so in its `Acceptance`); a boolean into a number
column is declared by each database (PostgreSQL writes `t`/`f`, which no
number column reads; MariaDB and SQLite write 1 and 0); a timestamp into a
date or time column loses part of each value, so it is per value."""


@dataclass(frozen=True)
class Acceptance:
    """What one target accepts: `WRITES` with its own `overrides`, as data.

    `boolean_text` lists the words (lower case) its boolean columns read
    from text, so that a fixed value given as text can be checked; empty
    means any text is stored as it is. `zoned_text` says whether its
    timestamp columns read text carrying a zone offset (`...T09:30:00Z`).
    """

    overrides: Mapping[tuple[ValueKind, ValueKind], Fit] = field(default_factory=dict)
    boolean_text: frozenset[str] = frozenset({"true", "false", "1", "0"})
    zoned_text: bool = True

    def fit(self, value: ValueKind, column: ValueKind) -> Fit:
        """How values of kind `value` go into a column of kind `column`, before bounds."""
        return self.overrides.get((value, column)) or WRITES[value][column]


@dataclass(frozen=True)
class NameRules:
    """What a name the target creates (a table, a column) may be, as data.

    `max_length` counts UTF-8 bytes when `length_in_bytes`, else characters
    (None: no limit). `trailing_space` and `leading_space` say whether the
    name may end or start with white space; `basic_plane_only` refuses
    characters outside Unicode's Basic Multilingual Plane (emoji). Empty
    names and NUL characters are refused by every target.
    """

    max_length: int | None = None
    length_in_bytes: bool = False
    trailing_space: bool = True
    leading_space: bool = True
    basic_plane_only: bool = False

    def problem(self, name: str) -> str | None:
        """Why `name` cannot be created on this target, or None when it can."""
        if not name:
            return "is empty"
        if "\x00" in name:
            return "contains a NUL character"
        if not self.trailing_space and name[-1].isspace():
            return "ends with white space, which this database refuses in names"
        if not self.leading_space and name[0].isspace():
            return "starts with white space, which this target does not keep in names"
        if self.basic_plane_only and any(ord(c) > 0xFFFF for c in name):
            return (
                "contains characters outside Unicode's Basic Multilingual Plane "
                "(such as emoji), which this database refuses in names"
            )
        if self.max_length is not None:
            size = len(name.encode("utf-8")) if self.length_in_bytes else len(name)
            if size > self.max_length:
                unit = "bytes" if self.length_in_bytes else "characters"
                return f"is {size} {unit} long; this database takes at most {self.max_length}"
        return None


ANY_NAME = NameRules()
"""Rules of a target that keeps any non-empty name without NUL."""
