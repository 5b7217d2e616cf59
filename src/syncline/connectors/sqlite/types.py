"""SQLite declared types to field and Arrow types, by SQLite's affinity rules.

SQLite stores any value in any column; the declared type only gives an
affinity. The mapping follows the affinity rules (INT, CHAR/CLOB/TEXT, BLOB,
REAL/FLOA/DOUB, else NUMERIC), adding booleans, JSON and dates, whose values
are read as stored (SQLite has no date type: ISO text, Julian day or Unix time).
"""

from __future__ import annotations

import pyarrow as pa

from syncline.connectors.compatibility import (
    Acceptance,
    Fit,
    ValueDomain,
    ValueKind,
    decimal_domain,
    integer_domain,
    text_domain,
)
from syncline.connectors.sql.types import (
    BINARY,
    BOOLEAN,
    FLOAT,
    INTEGER,
    JSON,
    TEXT,
    TypeMapping,
)
from syncline.connectors.vocabulary import FieldType

DATE_AS_STORED: TypeMapping = (FieldType.DATETIME, pa.string())


def sqlite_type(declared: str) -> TypeMapping:
    """Map a declared column type such as `VARCHAR(20)` or `BOOLEAN`.

    An empty declared type (an expression, or a column declared without a
    type) reads as text.
    """
    name = declared.upper()
    if "INT" in name:
        return INTEGER
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return TEXT
    if "BLOB" in name:
        return BINARY
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return FLOAT
    if "BOOL" in name:
        return BOOLEAN
    if "JSON" in name:
        return JSON
    if "DATE" in name or "TIME" in name:
        return DATE_AS_STORED
    if not name.strip():
        return TEXT
    return FLOAT


def sqlite_domain(declared: str) -> ValueDomain:
    """The values a column declared as `declared` is meant to hold, by the same
    affinity rules as `sqlite_type`. SQLite stores any value in any column,
    so lengths are not enforced and none is given; a column declared without
    a type (or as `ANY`) holds anything."""
    name = declared.upper()
    if not name.strip() or name.strip() == "ANY":
        return ValueDomain(ValueKind.ANY)
    if "INT" in name:
        return integer_domain(64)
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return text_domain()
    if "BLOB" in name:
        return ValueDomain(ValueKind.BINARY)
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return ValueDomain(ValueKind.FLOAT)
    if "BOOL" in name:
        return ValueDomain(ValueKind.BOOLEAN)
    if "JSON" in name:
        return ValueDomain(ValueKind.JSON)
    if "DATE" in name and "TIME" not in name:
        return ValueDomain(ValueKind.DATE)
    if "DATE" in name or "TIMESTAMP" in name:
        return ValueDomain(ValueKind.TIMESTAMP)
    if "TIME" in name:
        return ValueDomain(ValueKind.TIME)
    return decimal_domain(None, None)


K = ValueKind
ACCEPTANCE = Acceptance(
    overrides={
        # Booleans are stored as 1 and 0.
        (K.BOOLEAN, K.INTEGER): Fit.EXACT,
        (K.BOOLEAN, K.DECIMAL): Fit.EXACT,
        (K.BOOLEAN, K.FLOAT): Fit.EXACT,
        # SQLite has no date type: dates are text (or numbers) by convention.
        (K.TEXT, K.DATE): Fit.PER_VALUE,
        (K.TEXT, K.TIMESTAMP): Fit.PER_VALUE,
        # A fraction is stored as a REAL, whatever the column's affinity.
        (K.DECIMAL, K.INTEGER): Fit.EXACT,
        (K.FLOAT, K.INTEGER): Fit.EXACT,
    },
    boolean_text=frozenset({"1", "0"}),
)
"""What SQLite columns take beyond Syncline's table (`compatibility.WRITES`)."""
