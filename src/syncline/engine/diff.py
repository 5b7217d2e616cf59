"""Pass 2 of a run: which records to send and what the new state is, answered by DuckDB.

DuckDB reads the spilled model and the old state from Parquet. Its queries
touch only the narrow columns (key, hash, sequence number): it answers with
the sequence numbers of the records to send, in order, and `pick` fetches
those rows from the spill, so wide rows are never sorted or joined.

Every question is one GROUP BY over the union of the model's and the
state's rows, because DuckDB's hash aggregate spills to disk most reliably
(measured: 10 million records in 128 MB on one thread, where joins of
the same tables ran out of memory with two threads). State rows carry a
`rank` (the stored state 0, journal entries their logging time), and the
highest rank of a key is its current hash.

When the model holds several records with one key, one of them stands for
the key: the one with the smallest hash (`num`, the hash's leading 60 bits
as a number, so the aggregate's state stays fixed-size). The choice depends
only on the records' contents, so it is the same every run whatever order
the source returns rows in.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from syncline.engine.duck import identifier, literal, literal_list
from syncline.engine.mapping import HASH, KEY
from syncline.engine.pick import SEQ, pick

_K, _H, _S = identifier(KEY), identifier(HASH), identifier(SEQ)


class Diff:
    """Queries over one run's spilled model (`model`) and the old state (`old_state`)."""

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, model_path: Path, old_state_sql: str
    ) -> None:
        """`old_state_sql` yields the old state's ranked rows (`key`, `hash`, `rank`)."""
        self._connection = connection
        self._model_path = model_path
        connection.execute(
            f"CREATE TEMP VIEW model AS SELECT {_K} AS key, {_H} AS hash, {_S} AS seq, "
            f"('0x' || substr({_H}, 1, 15))::BIGINT AS num "
            f"FROM read_parquet({literal(str(model_path))})"
        )
        connection.execute(f"CREATE TEMP VIEW old_state AS {old_state_sql}")

    def duplicates(self, batch_size: int) -> Generator[pa.RecordBatch]:
        """The records that share their key with the chosen one, in reading order."""
        return self._pick(
            "WITH shared AS (SELECT key, arg_min(seq, num) AS kept FROM model "
            "GROUP BY key HAVING count(*) > 1) "
            "SELECT m.seq FROM model m JOIN shared s ON m.key = s.key WHERE m.seq <> s.kept",
            batch_size,
        )

    def records(
        self,
        *,
        changed_only: bool,
        distinct: bool,
        keys: Sequence[str] | None,
        batch_size: int,
    ) -> Generator[pa.RecordBatch]:
        """The model's records to send, in reading order, in batches of `batch_size`.

        `distinct`: one record per key. `changed_only` (with `distinct`):
        records whose key is not in the old state or whose hash differs.
        `keys`: only these keys.
        """
        model = "model"
        if keys is not None:
            wanted = f"CAST({literal_list(list(keys))} AS VARCHAR[])"
            model = f"(SELECT * FROM model WHERE list_contains({wanted}, key))"
        if not distinct:
            return self._pick(f"SELECT seq FROM {model}", batch_size)
        if not changed_only:
            return self._pick(f"SELECT arg_min(seq, num) FROM {model} GROUP BY key", batch_size)
        return self._pick(
            "SELECT pick FROM (SELECT arg_min(seq, num) AS pick, arg_min(hash, num) AS new, "
            "arg_max(hash, rank) AS old FROM ("
            f"SELECT key, hash, seq, num, NULL::BIGINT AS rank FROM {model} UNION ALL "
            "SELECT key, hash, NULL, NULL, rank FROM old_state) GROUP BY key) "
            "WHERE pick IS NOT NULL AND new IS DISTINCT FROM old",
            batch_size,
        )

    def model_state_sql(self) -> str:
        """SQL for the model as confirmed rows (`key`, `hash`, `rank`), as if all were written."""
        return "SELECT key, arg_min(hash, num) AS hash, 0 AS rank FROM model GROUP BY key"

    def new_state_sql(self, confirmed_sql: str, *, keep_unconfirmed: bool) -> str:
        """SQL for the state (`key`, `hash`) after a run that confirmed `confirmed_sql`.

        `confirmed_sql` yields ranked rows (`key`, `hash`, `rank`) ranking
        above the old state's. With `keep_unconfirmed`, a key of the model
        that was not confirmed keeps its old hash (if any); keys gone from
        the model are dropped. Without, the state is the confirmed records
        alone (after a replace, the target holds exactly those).
        """
        if not keep_unconfirmed:
            return f"SELECT key, arg_max(hash, rank) AS hash FROM ({confirmed_sql}) GROUP BY key"
        return (
            "SELECT key, arg_max(hash, rank) AS hash FROM ("
            "SELECT key, NULL AS hash, NULL::BIGINT AS rank, true AS present FROM model "
            "UNION ALL SELECT key, hash, rank, false FROM old_state "
            f"UNION ALL SELECT key, hash, rank, false FROM ({confirmed_sql})) "
            "GROUP BY key HAVING bool_or(present) AND count(hash) > 0"
        )

    def _pick(self, sequence_sql: str, batch_size: int) -> Generator[pa.RecordBatch]:
        wanted = self._connection.sql(f"{sequence_sql} ORDER BY 1").to_arrow_reader(batch_size)
        try:
            yield from pick(self._model_path, wanted, batch_size)
        finally:
            wanted.close()
