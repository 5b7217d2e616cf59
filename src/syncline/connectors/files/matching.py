"""Each record's fate in the identity modes, known when its batch is written.

A file is only rewritten at `finish()`, but the engine needs every record's
result from `write()`. So the writer keeps, in a DuckDB table that spills to
disk, the identities the file will hold: the existing file's, plus those
this run inserted, minus those it removed. Each batch is matched against it
as if its records were applied one at a time, in order:

- create: a new identity is INSERTED; one already there (from the file or
  earlier in the run) is SKIPPED.
- update: a matching identity is UPDATED, every time it occurs (the last
  occurrence's values win at `finish()`); no match is NOT_FOUND.
- updateOrCreate: the first occurrence of a new identity is INSERTED, every
  later one UPDATED (last one wins).
- remove: the first match is DELETED; a repeat is NOT_FOUND, it is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from syncline.connectors.files.storage import ROW, Storage
from syncline.connectors.files.text_values import quote
from syncline.connectors.vocabulary import SyncMode
from syncline.connectors.writing import RecordResult

if TYPE_CHECKING:
    import duckdb

_TABLE = "identities"


class Matcher:
    """The identities a target file holds as the run goes on.

    `empty_staged` is a Parquet file with the staged schema and no rows; it
    gives the identity table its column types even when the existing file
    lacks an identity column.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        storage: Storage,
        identity: Sequence[str],
        empty_staged: Path,
        *,
        has_existing: bool,
    ) -> None:
        self._con = con
        self._storage = storage
        self._identity = tuple(identity)
        self._keys = [f"k{index}" for index in range(len(identity))]
        con.execute(
            f"CREATE TABLE {_TABLE} AS SELECT {self._select()} FROM read_parquet($staged) LIMIT 0",
            {"staged": str(empty_staged)},
        )
        if has_existing and all(name in storage.columns for name in identity):
            not_null = " AND ".join(f"{key} IS NOT NULL" for key in self._keys)
            # DISTINCT: a hand-made file may repeat an identity; one entry is enough.
            con.execute(
                f"INSERT INTO {_TABLE} SELECT DISTINCT * FROM "
                f"(SELECT {self._select()} FROM {storage.scan()}) WHERE {not_null}",
                storage.scan_params(),
            )

    def classify(self, mode: SyncMode, encoded: pa.Table) -> list[RecordResult]:
        """The result of each record of `encoded` (in order), recording its effect.

        `encoded` holds `ROW` and the identity columns in storage form, no
        NULL identities.
        """
        keys = ", ".join(f"i.{key}" for key in self._keys)
        joined = " AND ".join(f"i.{key} = t.{key}" for key in self._keys)
        self._con.register("batch_identities", encoded.select([ROW, *self._identity]))
        try:
            rows = self._con.sql(
                f"SELECT t.k0 IS NOT NULL AS hit, "
                f"row_number() OVER (PARTITION BY {keys} ORDER BY i.{quote(ROW)}) = 1 AS first "
                f"FROM (SELECT {quote(ROW)}, {self._select()} FROM batch_identities) AS i "
                f"LEFT JOIN {_TABLE} AS t ON {joined} ORDER BY i.{quote(ROW)}"
            ).fetchall()
        finally:
            self._con.unregister("batch_identities")
        results = [_result(mode, bool(hit), bool(first)) for hit, first in rows]
        self._remember(mode, encoded, results)
        return results

    def _remember(self, mode: SyncMode, encoded: pa.Table, results: list[RecordResult]) -> None:
        """Add the identities this batch inserted, drop those it deleted."""
        if mode is SyncMode.REMOVE:
            wanted = RecordResult.DELETED
        elif mode in (SyncMode.CREATE, SyncMode.UPDATE_OR_CREATE):
            wanted = RecordResult.INSERTED
        else:
            return
        changed = encoded.filter(pa.array([result is wanted for result in results]))
        if changed.num_rows == 0:
            return
        self._con.register("changed_identities", changed.select(list(self._identity)))
        try:
            if wanted is RecordResult.INSERTED:
                self._con.execute(
                    f"INSERT INTO {_TABLE} SELECT {self._select()} FROM changed_identities"
                )
            else:
                matched = " AND ".join(f"{_TABLE}.{key} = c.{key}" for key in self._keys)
                self._con.execute(
                    f"DELETE FROM {_TABLE} USING "
                    f"(SELECT {self._select()} FROM changed_identities) AS c WHERE {matched}"
                )
        finally:
            self._con.unregister("changed_identities")

    def _select(self) -> str:
        """The identity columns as comparable keys `k0`, `k1`, ..."""
        return ", ".join(
            f"{self._storage.key(quote(name))} AS {key}"
            for name, key in zip(self._identity, self._keys, strict=True)
        )


def _result(mode: SyncMode, hit: bool, first: bool) -> RecordResult:
    """One record's result: `hit` if its identity was there before this batch,
    `first` if it is the identity's first occurrence in this batch."""
    if mode is SyncMode.CREATE:
        return RecordResult.INSERTED if first and not hit else RecordResult.SKIPPED
    if mode is SyncMode.UPDATE:
        return RecordResult.UPDATED if hit else RecordResult.NOT_FOUND
    if mode is SyncMode.UPDATE_OR_CREATE:
        return RecordResult.INSERTED if first and not hit else RecordResult.UPDATED
    if mode is SyncMode.REMOVE:
        return RecordResult.DELETED if first and hit else RecordResult.NOT_FOUND
    raise ValueError(f"mode {mode} does not match identities")
