"""The one DuckDB query that merges the existing file with a run's staged records.

`finish()` runs it and streams its rows into the new file; DuckDB executes
it out of core (joins, windows and the final sort spill to disk), so memory
stays bounded however big the file is. Per mode, with E the existing rows
and S the staged ones (each carrying its run-wide sequence number):

- append, snapshot: E, then S.
- replace: S only.
- create: E, then the rows of S whose identity E lacks (anti-join).
- update: E, each row whose identity matches taking the last staged values.
- updateOrCreate: as update, then the staged identities E lacks (full merge).
- remove: the rows of E whose identity S lacks (anti-join delete).

Rows keep the file's order; new rows follow in the order they were sent.
Columns are the file's, in its order, then the sent columns it lacks. A
column not sent keeps its value on update and is empty on insert. A
`create_only` column keeps a non-empty existing value; otherwise it takes
the first non-empty value sent for the identity in this run, as applying
the records one by one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncline.connectors.files.storage import Storage
from syncline.connectors.files.text_values import quote
from syncline.connectors.vocabulary import SyncMode

SEQ = "__syncline_seq"
"""The staged column numbering a run's records in the order they were sent."""

_POS, _PART, _ORDER = "__syncline_pos", "__syncline_part", "__syncline_order"
_HIT, _RANK, _FIRST_SEQ = "__syncline_hit", "__syncline_rank", "__syncline_first_seq"


@dataclass(frozen=True)
class MergeSpec:
    """What `merge_query` needs to know about a run.

    `existing` is empty when there is no existing content to keep (no file,
    an empty file, or a replace, which never reads it).
    """

    mode: SyncMode
    existing: tuple[str, ...]
    sent: tuple[str, ...]
    output: tuple[str, ...]
    identity: tuple[str, ...] = ()
    create_only: frozenset[str] = frozenset()


def merge_query(
    spec: MergeSpec, storage: Storage, staged: Sequence[Path]
) -> tuple[str, dict[str, Any]]:
    """The merge query and its parameters, yielding exactly the `spec.output` columns."""
    merge = _Merge(spec, storage)
    params: dict[str, Any] = {"staged": [str(path) for path in staged]}
    sent = ", ".join(f"{storage.merged(quote(name))} AS {quote(name)}" for name in spec.sent)
    ctes = [f"staged AS (SELECT {quote(SEQ)}, {sent} FROM read_parquet($staged))"]
    if spec.existing:
        # One thread (see the writer) makes row_number() follow the file's order.
        ctes.append(f"existing AS (SELECT row_number() OVER () AS {_POS}, * FROM {storage.scan()})")
        params |= storage.scan_params()
    if spec.mode in (SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE):
        ctes.append(f"latest AS ({merge.latest()})")
    columns = ", ".join(quote(name) for name in spec.output)
    query = (
        f"WITH {', '.join(ctes)} SELECT {columns} FROM ({' UNION ALL '.join(merge.parts())}) "
        f"ORDER BY {_PART}, {_ORDER}"
    )
    return query, params


class _Merge:
    """Builds the SELECTs of one merge query."""

    def __init__(self, spec: MergeSpec, storage: Storage) -> None:
        self.spec = spec
        self.storage = storage
        self.matchable = bool(spec.existing) and all(c in spec.existing for c in spec.identity)

    def parts(self) -> list[str]:
        mode, existing = self.spec.mode, bool(self.spec.existing)
        parts = []
        if mode in (SyncMode.UPDATE, SyncMode.UPDATE_OR_CREATE) and existing:
            parts.append(self._updated_existing())
        elif mode is SyncMode.REMOVE and existing:
            parts.append(self._existing(f"WHERE NOT EXISTS ({self._match_from('staged', 'e')})"))
        elif mode is not SyncMode.REPLACE and existing:
            parts.append(self._existing(""))
        if mode is SyncMode.UPDATE_OR_CREATE:
            parts.append(self._inserted_latest())
        elif mode is SyncMode.CREATE:
            parts.append(self._staged(self._unless_existing("s")))
        elif mode in (SyncMode.APPEND, SyncMode.SNAPSHOT, SyncMode.REPLACE):
            parts.append(self._staged(""))
        if not parts:  # a remove with nothing to keep: the file ends up empty
            nulls = ", ".join(f"NULL AS {quote(name)}" for name in self.spec.output)
            parts.append(f"SELECT 0 AS {_PART}, 0 AS {_ORDER}, {nulls} WHERE false")
        return parts

    def latest(self) -> str:
        """Per staged identity: the last row sent, and the first non-empty create-only values."""
        keys = ", ".join(self.storage.key(quote(name)) for name in self.spec.identity)
        whole = (
            f"PARTITION BY {keys} ORDER BY {quote(SEQ)} "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
        )
        firsts = "".join(
            f", first_value(CASE WHEN NOT {self.storage.empty(quote(name))} THEN {quote(name)} END "
            f"IGNORE NULLS) OVER ({whole}) AS {self._first(name)}"
            for name in self.spec.sent
            if name in self.spec.create_only
        )
        return (
            f"SELECT * FROM (SELECT *, TRUE AS {_HIT}, "
            f"row_number() OVER (PARTITION BY {keys} ORDER BY {quote(SEQ)} DESC) AS {_RANK}, "
            f"min({quote(SEQ)}) OVER (PARTITION BY {keys}) AS {_FIRST_SEQ}{firsts} "
            f"FROM staged) WHERE {_RANK} = 1"
        )

    def _existing(self, where: str) -> str:
        values = [
            f"e.{quote(name)}" if name in self.spec.existing else "NULL"
            for name in self.spec.output
        ]
        return self._select("0", f"e.{_POS}", values, f"existing AS e {where}")

    def _staged(self, where: str) -> str:
        values = [
            f"s.{quote(name)}" if name in self.spec.sent else "NULL" for name in self.spec.output
        ]
        return self._select("1", f"s.{quote(SEQ)}", values, f"staged AS s {where}")

    def _updated_existing(self) -> str:
        values = []
        for name in self.spec.output:
            column, new = f"e.{quote(name)}", self._new_value(name)
            if name not in self.spec.sent:
                values.append(column)
            elif name not in self.spec.existing:
                values.append(new)
            elif name in self.spec.create_only:
                empty = self.storage.empty(column)
                values.append(f"CASE WHEN u.{_HIT} AND {empty} THEN {new} ELSE {column} END")
            else:
                values.append(f"CASE WHEN u.{_HIT} THEN {new} ELSE {column} END")
        on = self._condition("e", "u") if self.matchable else "false"
        return self._select(
            "0", f"e.{_POS}", values, f"existing AS e LEFT JOIN latest AS u ON {on}"
        )

    def _inserted_latest(self) -> str:
        values = [
            self._new_value(name) if name in self.spec.sent else "NULL" for name in self.spec.output
        ]
        return self._select(
            "1", f"u.{_FIRST_SEQ}", values, f"latest AS u {self._unless_existing('u')}"
        )

    def _new_value(self, name: str) -> str:
        """The value a matched or inserted identity gets for sent column `name`."""
        if name in self.spec.create_only:
            return f"coalesce(u.{self._first(name)}, u.{quote(name)})"
        return f"u.{quote(name)}"

    def _unless_existing(self, alias: str) -> str:
        if not self.matchable:
            return ""
        return f"WHERE NOT EXISTS ({self._match_from('existing', alias, inner='e')})"

    def _match_from(self, table: str, outer: str, *, inner: str = "s") -> str:
        if not self.matchable:
            return "SELECT 1 WHERE false"
        return f"SELECT 1 FROM {table} AS {inner} WHERE {self._condition(inner, outer)}"

    def _condition(self, left: str, right: str) -> str:
        key = self.storage.key
        return " AND ".join(
            f"{key(f'{left}.{quote(name)}')} = {key(f'{right}.{quote(name)}')}"
            for name in self.spec.identity
        )

    def _first(self, name: str) -> str:
        return quote(f"__syncline_first_{self.spec.sent.index(name)}")

    def _select(self, part: str, order: str, values: list[str], source: str) -> str:
        named = ", ".join(
            f"{value} AS {quote(name)}"
            for value, name in zip(values, self.spec.output, strict=True)
        )
        return f"SELECT {part} AS {_PART}, {order} AS {_ORDER}, {named} FROM {source}"
