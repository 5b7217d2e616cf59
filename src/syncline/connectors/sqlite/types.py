"""SQLite declared types to field and Arrow types, by SQLite's affinity rules.

SQLite stores any value in any column; the declared type only gives an
affinity. The mapping follows the affinity rules (INT, CHAR/CLOB/TEXT, BLOB,
REAL/FLOA/DOUB, else NUMERIC), adding booleans, JSON and dates, whose values
are read as stored (SQLite has no date type: ISO text, Julian day or Unix time).
"""

from __future__ import annotations

import pyarrow as pa

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
