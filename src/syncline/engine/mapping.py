"""Model batches turned into target-shaped batches with each record's key and hash.

The target shape is one column per `FieldMapping`, in order, named for its
target: a model field's values, or a fixed value repeated. Identity target
columns that no mapping fills follow, carrying their model field's values,
because a writer finds records by those columns.

Engine columns close every mapped batch (`ENGINE_COLUMNS`):

- `KEY`: the record's identity as text (the key text, below). It is NULL
  when an identity field is NULL: such a record cannot be matched and is
  never written. Without identity, the key is the MD5 (32 lowercase hex
  digits) of the record's canonical encoding: it is identified by its content.
- `KEY_HIGH`, `KEY_LOW`: the MD5 of the UTF-8 of `KEY` read as a
  little-endian 128-bit number, in two halves: `KEY_LOW` is digest bytes
  0-7, `KEY_HIGH` bytes 8-15, each as a little-endian unsigned 64-bit
  integer. The state and the diff work on these fixed-size numbers, never
  on the text, because DuckDB keeps fixed-size values within its memory
  limit where strings of millions of keys overran it several times over.
- `HASH`: the change-state hash, the first 8 bytes of the MD5 of the
  record's canonical encoding read as a little-endian unsigned 64-bit
  integer. A change of any mapped value changes it (a collision between two
  versions of one record is a 2^-64 chance).

Both are defined in `engine.canonical`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from syncline.engine.canonical import (
    encoding_of,
    frame,
    json_string,
    key_text_sql,
    prepare,
    text_sql,
)
from syncline.engine.duck import connect, identifier, literal
from syncline.engine.errors import EngineError
from syncline.engine.spec import RunSpec
from syncline.engine.values import constant_array, plain_type

RESERVED_PREFIX = "__syncline_"
"""Column names the engine keeps for itself; no target column may start with it."""

KEY = "__syncline_key"
"""The engine column holding a record's identity key."""

KEY_HIGH = "__syncline_key_high"
KEY_LOW = "__syncline_key_low"
"""The engine columns holding the 128-bit number a key is diffed by, in two halves."""

HASH = "__syncline_hash"
"""The engine column holding the hash of a record's mapped values."""

ENGINE_COLUMNS = pa.schema(
    [(KEY, pa.string()), (KEY_HIGH, pa.uint64()), (KEY_LOW, pa.uint64()), (HASH, pa.uint64())]
)
"""What `Mapper.map` appends to the target columns, in this order."""

_COLUMN = "c{}"
"""The prepared columns the hash query reads; short, as DuckDB parses the query per batch."""
_LOW_64 = f"{2**64 - 1}::UHUGEINT"


@dataclass(frozen=True)
class Mapped:
    """A mapped batch and, per row, the first empty identity field (NULL when complete).

    `empty_identity` is None when every row has its identity.
    """

    batch: pa.RecordBatch
    empty_identity: pa.Array | None


class Mapper:
    """Maps batches of one model schema by one spec. Close it to release DuckDB."""

    def __init__(self, spec: RunSpec, model_schema: pa.Schema) -> None:
        """Check the spec against the model schema.

        Raises `EngineError` when a mapping or identity names a field the model
        lacks, two columns share a target name, or nothing is mapped at all.
        """
        self._sources: list[tuple[str, int | None, Any]] = []
        for mapping in spec.mappings:
            index = None if mapping.source is None else _field_index(model_schema, mapping.source)
            self._sources.append((mapping.target, index, mapping.constant))
        mapped = {target for target, _, _ in self._sources}
        self._identity = [_field_index(model_schema, pair.source) for pair in spec.identity]
        self._identity_names = [pair.source for pair in spec.identity]
        for pair, index in zip(spec.identity, self._identity, strict=True):
            if pair.target not in mapped:
                self._sources.append((pair.target, index, None))
                mapped.add(pair.target)
        targets = [target for target, _, _ in self._sources]
        if not targets:
            raise EngineError("the sync maps no fields, so there is nothing to write")
        clashes = sorted(
            {t for t in targets if targets.count(t) > 1 or t.startswith(RESERVED_PREFIX)}
        )
        if clashes:
            raise EngineError(
                f"target columns named more than once or reserved: {', '.join(clashes)}"
            )
        self.schema = pa.schema(
            [
                pa.field(
                    target,
                    constant_array(constant, 0).type
                    if index is None
                    else plain_type(model_schema.field(index).type),
                )
                for target, index, constant in self._sources
            ]
        )
        """The target columns of every mapped batch, without the engine columns."""
        self._encodings = [encoding_of(field.type) for field in self.schema]
        self._identity_encodings = [
            encoding_of(plain_type(model_schema.field(index).type)) for index in self._identity
        ]
        self._query = self._hash_query()
        self._duckdb = connect()
        self._relation: duckdb.DuckDBPyRelation | None = None

    def map(self, batch: pa.RecordBatch) -> Mapped:
        """The target-shaped batch of a model batch, with the `ENGINE_COLUMNS` appended.

        `batch` has the model schema with dictionary columns decoded. Raises
        `EngineError` when a value has no canonical encoding: a decimal of
        more than 38 digits, a timestamp beyond the microsecond range.
        """
        columns = [
            constant_array(constant, batch.num_rows) if index is None else batch.column(index)
            for _, index, constant in self._sources
        ]
        target = pa.RecordBatch.from_arrays(columns, schema=self.schema)
        identity = [batch.column(index) for index in self._identity]
        try:
            prepared = [
                prepare(column, encoding)
                for column, encoding in zip(
                    [*columns, *identity],
                    [*self._encodings, *self._identity_encodings],
                    strict=True,
                )
            ]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise EngineError(f"a mapped value has no canonical encoding: {error}") from None
        names = [_COLUMN.format(n) for n in range(len(prepared))]
        self._duckdb.register("batch", pa.RecordBatch.from_arrays(prepared, names=names))
        try:
            if self._relation is None:
                # Bound once, run per batch on whatever `batch` names then: parsing and
                # binding the query costs as much as hashing a thousand rows.
                self._relation = self._duckdb.sql(self._query)
            computed = self._relation.to_arrow_table()
        finally:
            self._duckdb.unregister("batch")
        engine = [computed.column(n).combine_chunks() for n in ENGINE_COLUMNS.names]
        key = engine[0]
        result = pa.RecordBatch.from_arrays(
            [*target.columns, *engine], schema=pa.schema([*self.schema, *ENGINE_COLUMNS])
        )
        return Mapped(result, self._empty_identity(identity) if key.null_count else None)

    def close(self) -> None:
        """Release the DuckDB connection."""
        self._duckdb.close()

    def _hash_query(self) -> str:
        """SQL over the prepared columns (`_COLUMN` 0..n-1: targets, then identities)."""
        count = len(self._encodings)
        texts = [
            f"{text_sql(_COLUMN.format(n), encoding)} AS t{n}"
            for n, encoding in enumerate(self._encodings)
        ]
        texts += [
            f"{key_text_sql(_COLUMN.format(count + n), encoding)} AS k{n}"
            for n, encoding in enumerate(self._identity_encodings)
        ]
        keys = [f"k{n}" for n in range(len(self._identity_encodings))]
        frames = ", ".join(
            f"{literal(frame(name))}, strlen(t{n}), ':', t{n}"
            for n, name in enumerate(self.schema.names)
        )
        # Texts are computed once in a subquery: a frame, or a JSON string, reads each twice.
        source = f"SELECT {', '.join(texts)} FROM batch"
        canonical = f"concat({frames})"
        if not keys:
            # The content is the key: the encoding is built once and hashed twice.
            source = f"SELECT {canonical} AS canonical FROM ({source})"
            key_sql, canonical = "md5(canonical)", "canonical"
        elif len(keys) == 1:
            key_sql = keys[0]
        else:
            # `||` makes the whole key NULL when any part is: a partial identity has no key.
            key_sql = "'[' || " + " || ',' || ".join(json_string(k) for k in keys) + " || ']'"
        # One md5_number per key, split in halves: md5_number_upper/lower each hash again,
        # and run several times slower than masking md5_number (as HASH does too).
        return (
            f"WITH texts AS ({source}), "
            f"keyed AS (SELECT {key_sql} AS key, "
            f"(md5_number({canonical}) & {_LOW_64})::UBIGINT AS hash FROM texts), "
            "numbered AS (SELECT key, md5_number(key) AS number, hash FROM keyed) "
            f"SELECT key AS {identifier(KEY)}, "
            f"(number >> 64)::UBIGINT AS {identifier(KEY_HIGH)}, "
            f"(number & {_LOW_64})::UBIGINT AS {identifier(KEY_LOW)}, "
            f"hash AS {identifier(HASH)} FROM numbered"
        )

    def _empty_identity(self, identity: list[pa.Array]) -> pa.Array:
        empty = pa.nulls(len(identity[0]), pa.string())
        for name, column in reversed(list(zip(self._identity_names, identity, strict=True))):
            empty = pc.if_else(pc.is_null(column), name, empty)
        return empty


def _field_index(schema: pa.Schema, name: str) -> int:
    index = schema.get_field_index(name)
    if index < 0:
        raise EngineError(f"the sync maps model field {name!r}, which the model does not have")
    return int(index)
