"""DuckDB as the engine uses it: connections with fixed settings, and SQL quoting.

Every connection runs in UTC so that instants render the same text (and so
the same hashes and keys) on every machine, whatever its local zone.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MEMORY_LIMIT = "128MB"
"""DuckDB's buffer limit for diffing; beyond it, aggregates and sorts spill to disk.

Over one scratch file (`diff`), the diff's aggregates kept within 64 MB for
a million records and 96 MB for ten million; 128 MB ran a million-record
diff as fast as 256 MB did. A larger limit spills less.
"""

THREADS = 1
"""DuckDB worker threads. Each holds its own partitions within the limit: with
two, a one-million-record diff ran out of memory where one thread did not."""


def connect(
    temp_directory: Path | None = None, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC running on `THREADS` threads.

    With `temp_directory`, the connection is limited to `memory_limit` and
    spills to that directory beyond it; without, it is meant for small
    per-batch queries (hashing) that hold nothing between calls.
    """
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET threads = {THREADS}")
    if temp_directory is not None:
        connection.execute(f"SET memory_limit = {literal(memory_limit)}")
        # Every streamed answer is ordered explicitly; keeping scan order as well costs memory.
        connection.execute("SET preserve_insertion_order = false")
        connection.execute("SET enable_progress_bar = false")
        connection.execute(f"SET temp_directory = {literal(str(temp_directory))}")
    return connection


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def literal_list(texts: list[str]) -> str:
    """A SQL list literal of strings, such as a list of Parquet files."""
    return "[" + ", ".join(literal(text) for text in texts) + "]"
