"""Model batches turned into target-shaped batches with each record's key and hash.

The target shape is one column per `FieldMapping`, in order, named for its
target: a model field's values, or a fixed value repeated. Identity target
columns that no mapping fills follow, carrying their model field's values,
because a writer finds records by those columns.

Engine columns close every mapped batch (`ENGINE_COLUMNS`):

- `KEY`: the record's identity as text. With one identity field it is the
  value cast to text; with several, a JSON array of those texts
  (`["42","eu"]`). It is NULL when an identity field is NULL: such a record
  cannot be matched and is never written. Without identity, the key is the
  MD5 (hex) of the record's canonical text: it is identified by its content.
- `KEY_HIGH`, `KEY_LOW`: the two 64-bit halves of the MD5 of `KEY` (as
  DuckDB's `md5_number`, a little-endian 128-bit number). The
  state and the diff work on these fixed-size numbers, never on the text,
  because DuckDB keeps fixed-size values within its memory limit where
  strings of millions of keys overran it several times over.
- `HASH`: 64 bits of the MD5 of the record's canonical text (its first
  eight bytes, little-endian), DuckDB's
  `to_json` of the mapped columns (names included); a change of any mapped
  value changes it (a collision between two versions of one record is a
  2^-64 chance). It is deterministic across runs, processes and machines
  (DuckDB runs in UTC here). It depends on DuckDB's rendering of values, so
  a DuckDB upgrade that renders a type differently makes those records look
  changed once and sends them again; nothing is lost, the state then
  settles on the new hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from syncline.engine.duck import connect, identifier
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

_IDENTITY = "__syncline_identity_{}"


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
            raise EngineError(f"target columns named more than once or reserved: {clashes}")
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
        self._query = self._hash_query(targets)
        self._duckdb = connect()

    def map(self, batch: pa.RecordBatch) -> Mapped:
        """The target-shaped batch of a model batch, with the `ENGINE_COLUMNS` appended.

        `batch` has the model schema with dictionary columns decoded.
        """
        columns = [
            constant_array(constant, batch.num_rows) if index is None else batch.column(index)
            for _, index, constant in self._sources
        ]
        target = pa.RecordBatch.from_arrays(columns, schema=self.schema)
        identity = [batch.column(index) for index in self._identity]
        names = [_IDENTITY.format(n) for n in range(len(identity))]
        combined = pa.RecordBatch.from_arrays(
            [*columns, *identity], names=[*self.schema.names, *names]
        )
        self._duckdb.register("batch", combined)
        try:
            computed = self._duckdb.sql(self._query).to_arrow_table()
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

    def _hash_query(self, targets: list[str]) -> str:
        fields = ", ".join(f"{identifier(t)} := {identifier(t)}" for t in targets)
        canonical = f"to_json(struct_pack({fields}))"
        texts = [
            f"CAST({identifier(_IDENTITY.format(n))} AS VARCHAR)"
            for n in range(len(self._identity))
        ]
        if not texts:
            key_sql = f"md5({canonical})"
        elif len(texts) == 1:
            key_sql = texts[0]
        else:
            # to_json of a list with a NULL renders `null`; a partial identity must be NULL instead.
            any_null = " OR ".join(f"{text} IS NULL" for text in texts)
            as_json = f"CAST(to_json([{', '.join(texts)}]) AS VARCHAR)"
            key_sql = f"CASE WHEN {any_null} THEN NULL ELSE {as_json} END"
        # One md5_number per key, split in halves: md5_number_upper/lower each hash again.
        return (
            f"WITH keyed AS (SELECT {key_sql} AS key, {canonical} AS canonical FROM batch), "
            "numbered AS (SELECT key, md5_number(key) AS number, canonical FROM keyed) "
            f"SELECT key AS {identifier(KEY)}, "
            f"(number >> 64)::UBIGINT AS {identifier(KEY_HIGH)}, "
            f"(number & {2**64 - 1}::UHUGEINT)::UBIGINT AS {identifier(KEY_LOW)}, "
            f"md5_number_upper(canonical) AS {identifier(HASH)} FROM numbered"
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
