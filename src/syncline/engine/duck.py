"""DuckDB as the engine uses it: connections with fixed settings, and SQL quoting.

Every connection runs in UTC so that instants render the same text (and so
the same hashes and keys) on every machine, whatever its local zone.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MEMORY_LIMIT = "128MB"
"""DuckDB's buffer limit for diffing; beyond it, joins, aggregates and sorts spill.

The diff queries touch only keys, hashes and sequence numbers, so this is
enough for models of tens of millions of records (measured: 5 million in
under 100 MB of growth); a larger limit spills less and runs faster.
"""

THREADS = 1
"""DuckDB worker threads. Each holds its own buffers within the limit; with two,
the diff of a million records already ran out of memory at 128 MB, with one,
ten million did not."""


def connect(temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC.

    With `temp_directory`, the connection is limited to `MEMORY_LIMIT` and
    spills to that directory beyond it.
    """
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    if temp_directory is not None:
        connection.execute(f"SET memory_limit = {literal(MEMORY_LIMIT)}")
        connection.execute(f"SET threads = {THREADS}")
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
