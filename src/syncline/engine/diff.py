"""Pass 2 of a run: which records to send and what the new state is, answered by DuckDB.

DuckDB reads the spilled model and the old state from Parquet. Its queries
touch only fixed-size numbers: each key's 128-bit number (`key_high`,
`key_low`), each record's 64-bit hash and sequence number. It answers with
the sequence numbers of the records to send, in order, and `pick` fetches
those rows from the spill, so wide rows are never sorted or joined.

Every question is one GROUP BY over the union of the model's and the
state's rows, because DuckDB's hash aggregate over fixed-size values stays
within its memory limit and spills the rest; the same queries over text
keys grew to 720 MB at 10 million records, and joins ran out of memory.
The union is first written to one scratch Parquet file (`_materialized`)
and the aggregate reads that: fed straight from a UNION ALL of several
scans, the aggregate did not spill and ran out of memory at random, even
on 1 million records with 128 MB, where over one file 10 million records
stayed within 96 MB. State rows carry a `rank` (the stored state's at
most 0, journal entries their logging time); a key's highest-ranked hash
is its current one.

When the model holds several records with one key, one of them stands for
the key: the one with the smallest hash. The choice depends only on the
records' contents, so it is the same every run whatever order the source
returns rows in.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from syncline.engine.duck import identifier, literal, literal_list
from syncline.engine.mapping import HASH, KEY, KEY_HIGH, KEY_LOW
from syncline.engine.pick import SEQ, pick

_KEY = "key_high, key_low"


def confirmed_state_sql(confirmed_sql: str) -> str:
    """SQL for a state of the confirmed records alone: their ranked rows as they are.

    Nothing is aggregated: a key confirmed twice keeps both rows, and its
    higher-ranked (later) one counts (see `state.StateStore.commit`). Ranks
    are shifted to end at 0, so that every later journal entry (ranked by
    its logging time) ranks above them even if the clock stepped back.
    """
    top = f"(SELECT max(rank) FROM ({confirmed_sql}))"
    return f"SELECT {_KEY}, hash, rank - {top} AS rank FROM ({confirmed_sql})"


class Diff:
    """Queries over one run's spilled model (`model`) and the old state (`old_state`)."""

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, model_path: Path, old_state_sql: str
    ) -> None:
        """`old_state_sql` yields ranked rows (`key_high`, `key_low`, `hash`, `rank`)."""
        self._connection = connection
        self._model_path = model_path
        self._scratch = model_path.parent
        self.gone: int | None = None
        """How many keys of the old state the model no longer holds, once `records`
        compared the whole model with it (else None: unknown)."""
        connection.execute(
            f"CREATE TEMP VIEW model AS SELECT {identifier(KEY)} AS key, "
            f"{identifier(KEY_HIGH)} AS key_high, {identifier(KEY_LOW)} AS key_low, "
            f"{identifier(HASH)} AS hash, {identifier(SEQ)} AS seq "
            f"FROM read_parquet({literal(str(model_path))})"
        )
        connection.execute(f"CREATE TEMP VIEW old_state AS {old_state_sql}")

    def duplicates(self, batch_size: int) -> Generator[pa.RecordBatch]:
        """The records that share their key with the chosen one, in reading order."""
        return self._pick(
            f"WITH shared AS (SELECT {_KEY}, arg_min(seq, hash) AS kept FROM model "
            f"GROUP BY {_KEY} HAVING count(*) > 1) "
            "SELECT m.seq FROM model m JOIN shared s "
            "ON m.key_high = s.key_high AND m.key_low = s.key_low WHERE m.seq <> s.kept",
            batch_size,
        )

    def records(
        self,
        *,
        changed_only: bool,
        distinct: bool,
        keys: Sequence[str] | None,
        batch_size: int,
        few: bool = False,
    ) -> Generator[pa.RecordBatch]:
        """The model's records to send, in reading order, in batches of `batch_size`.

        `distinct`: one record per key. `changed_only` (with `distinct`):
        records whose key is not in the old state or whose hash differs.
        `keys`: only the records with these keys (`mapping.KEY` texts).
        `few`: the model is small beside the state (rows read since a
        watermark), so the state is only probed for the model's keys, by a
        join whose table is the model's, instead of aggregating it whole.
        """
        model = "model"
        if keys is not None:
            wanted = f"CAST({literal_list(list(keys))} AS VARCHAR[])"
            model = f"(SELECT * FROM model WHERE list_contains({wanted}, key))"
        if not distinct:
            return self._pick(f"SELECT seq FROM {model}", batch_size)
        if not changed_only:
            return self._pick(f"SELECT arg_min(seq, hash) FROM {model} GROUP BY {_KEY}", batch_size)
        if few:
            return self._pick(
                f"WITH m AS (SELECT {_KEY}, arg_min(seq, hash) AS pick, min(hash) AS new_hash "
                f"FROM {model} GROUP BY {_KEY}), "
                "o AS (SELECT s.key_high, s.key_low, arg_max(s.hash, s.rank) AS old_hash "
                "FROM old_state s SEMI JOIN m USING (key_high, key_low) "
                "GROUP BY s.key_high, s.key_low) "
                "SELECT m.pick FROM m LEFT JOIN o USING (key_high, key_low) "
                "WHERE m.new_hash IS DISTINCT FROM o.old_hash",
                batch_size,
            )
        # Model rows carry `new`, state rows `old`; each aggregate ignores the other's NULLs.
        compared = self._materialized(
            "compared",
            f"SELECT {_KEY}, seq, hash AS new, NULL::UBIGINT AS old, NULL::BIGINT AS rank "
            f"FROM {model} UNION ALL SELECT {_KEY}, NULL, NULL, hash, rank FROM old_state",
        )
        # Every key whose hash differs: the model's records to send, and (no pick) the
        # state's keys the model lost, counted for `gone`.
        differing = self._materialized(
            "differing",
            "SELECT pick FROM (SELECT arg_min(seq, new) AS pick, min(new) AS new_hash, "
            f"arg_max(old, rank) AS old_hash FROM {compared} GROUP BY {_KEY}) "
            "WHERE new_hash IS DISTINCT FROM old_hash",
        )
        if keys is None:
            ((gone,),) = self._connection.sql(
                f"SELECT count(*) FROM {differing} WHERE pick IS NULL"
            ).fetchall()
            self.gone = int(gone)
        return self._pick(f"SELECT pick FROM {differing} WHERE pick IS NOT NULL", batch_size)

    def remaining(self, done_sql: str, batch_size: int) -> Generator[pa.RecordBatch]:
        """The model's records, in reading order, less those in `done_sql` (ranked rows
        of records already written): a record that comes n times in the model and
        was written m times is sent n - m times. For resuming an unfinished snapshot."""
        return self._pick(
            f"WITH done AS (SELECT {_KEY}, hash, count(*) AS written FROM ({done_sql}) "
            f"GROUP BY {_KEY}, hash), "
            f"m AS (SELECT seq, {_KEY}, hash, row_number() OVER "
            f"(PARTITION BY {_KEY}, hash ORDER BY seq) AS nth FROM model) "
            "SELECT m.seq FROM m LEFT JOIN done USING (key_high, key_low, hash) "
            "WHERE m.nth > coalesce(done.written, 0)",
            batch_size,
        )

    def model_state_sql(self) -> str:
        """SQL for the model as ranked rows, as if every record were written (rank 0: for
        a sync with no state yet, which is the only one that skips its backfill)."""
        return f"SELECT {_KEY}, min(hash) AS hash, 0::BIGINT AS rank FROM model GROUP BY {_KEY}"

    def new_state_sql(
        self, confirmed_sql: str, *, keep_unconfirmed: bool, partial: bool = False
    ) -> str:
        """SQL for the state (`key_high`, `key_low`, `hash`, `rank`) after a run confirmed
        `confirmed_sql`.

        `confirmed_sql` yields ranked rows like the old state's, ranking
        above them. With `keep_unconfirmed`, a key of the model that was not
        confirmed keeps its old hash (if any); keys gone from the model are
        dropped. Without, the state is the confirmed records alone (after a
        replace, the target holds exactly those). `partial` (with
        `keep_unconfirmed`): the model holds only the rows read since a
        watermark, so keys missing from it are kept, not dropped.

        With `keep_unconfirmed`, the rows it aggregates are written to a
        scratch file first (`_materialized`), so call it only when the state
        is to be rewritten.
        """
        if not keep_unconfirmed:
            return confirmed_state_sql(confirmed_sql)
        rows = self._materialized(
            "state-rows",
            f"SELECT {_KEY}, NULL::UBIGINT AS hash, NULL::BIGINT AS rank, true AS present "
            f"FROM model UNION ALL SELECT {_KEY}, hash, rank, false FROM old_state "
            f"UNION ALL SELECT {_KEY}, hash, rank, false FROM ({confirmed_sql})",
        )
        return (
            f"SELECT {_KEY}, arg_max(hash, rank) AS hash, 0::BIGINT AS rank FROM {rows} "
            f"GROUP BY {_KEY} HAVING {'true' if partial else 'bool_or(present)'} "
            "AND count(hash) > 0"
        )

    def _materialized(self, name: str, rows_sql: str) -> str:
        """SQL reading the rows of `rows_sql`, written to the scratch file `name` first.

        Copying a union streams within the memory limit; the aggregate over
        the one file it leaves then spills as it should (see the module
        docstring). The file lives in the run's folder, removed with it.
        """
        path = self._scratch / f"{name}.parquet"
        self._connection.execute(f"COPY ({rows_sql}) TO {literal(str(path))} (FORMAT parquet)")
        return f"read_parquet({literal(str(path))})"

    def _pick(self, sequence_sql: str, batch_size: int) -> Generator[pa.RecordBatch]:
        wanted = self._connection.sql(f"{sequence_sql} ORDER BY 1").to_arrow_reader(batch_size)
        try:
            yield from pick(self._model_path, wanted, batch_size)
        finally:
            wanted.close()
