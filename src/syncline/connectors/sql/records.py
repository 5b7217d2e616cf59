"""The records of one attempt at a batch, loaded the way their form allows:
rows of driver values (`RowRecords`) or records left in Arrow (`ArrowRecords`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from syncline.connectors.sql.catalog import TableRef
from syncline.connectors.sql.dialect import Row, WriteDialect


class Records(ABC):
    """The records of one attempt, loaded the way their form allows."""

    @property
    @abstractmethod
    def indexes(self) -> Sequence[int]:
        """Each record's index in its batch, in order."""

    @property
    def count(self) -> int:
        """How many records there are."""
        return len(self.indexes)

    @abstractmethod
    def load(
        self, writer: WriteDialect, table: TableRef, names: Sequence[str], *constants: Any
    ) -> None:
        """Insert the records into `table`: their values, then `constants`,
        are the `names` columns."""

    @abstractmethod
    def load_indexed(
        self,
        writer: WriteDialect,
        table: TableRef,
        columns: Sequence[str],
        positions: Sequence[int],
    ) -> None:
        """Insert each record's index and its values at `positions` into the
        `columns` of `table` (the merge staging table)."""


@dataclass(frozen=True)
class RowRecords(Records):
    """Rows of driver values, each with its index in the batch."""

    items: Sequence[tuple[int, Row]]

    @property
    def indexes(self) -> Sequence[int]:
        return [index for index, _ in self.items]

    @property
    def count(self) -> int:
        return len(self.items)

    def load(
        self, writer: WriteDialect, table: TableRef, names: Sequence[str], *constants: Any
    ) -> None:
        if constants:
            writer._load(table, names, [(*row, *constants) for _, row in self.items])
        else:
            writer._load(table, names, [row for _, row in self.items])

    def load_indexed(
        self,
        writer: WriteDialect,
        table: TableRef,
        columns: Sequence[str],
        positions: Sequence[int],
    ) -> None:
        staged = [(index, *(row[p] for p in positions)) for index, row in self.items]
        writer._load(table, columns, staged)


@dataclass(frozen=True)
class ArrowRecords(Records):
    """Records (the plan's columns, in order) left in Arrow: a whole batch, or
    the records of a batch at `rows`."""

    batch: pa.RecordBatch
    rows: Sequence[int] | None = None

    @property
    def indexes(self) -> Sequence[int]:
        return range(self.batch.num_rows) if self.rows is None else self.rows

    @property
    def count(self) -> int:
        return int(self.batch.num_rows)

    def load(
        self, writer: WriteDialect, table: TableRef, names: Sequence[str], *constants: Any
    ) -> None:
        size = self.batch.num_rows
        arrays = [*self.batch.columns, *(pa.repeat(pa.scalar(c), size) for c in constants)]
        writer._load_arrow(table, names, pa.RecordBatch.from_arrays(arrays, names=list(names)))

    def load_indexed(
        self,
        writer: WriteDialect,
        table: TableRef,
        columns: Sequence[str],
        positions: Sequence[int],
    ) -> None:
        index = pa.array(self.indexes, pa.int64())
        arrays = [index, *(self.batch.column(p) for p in positions)]
        writer._load_arrow(table, columns, pa.RecordBatch.from_arrays(arrays, names=list(columns)))
