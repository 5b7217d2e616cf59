"""Screening records in Arrow for faults their column definitions make certain.

A value the target column cannot hold is refused by the database whatever
else is in the batch: a string longer than `varchar(n)` or `char(n)` (unless
the excess is only spaces, which both PostgreSQL and MariaDB cut off), an
integer outside the column's range, and (where the mode writes the value as
it is) NULL in a NOT NULL column. These are found for a whole batch in a few
vectorized Arrow operations, before any attempt, so a mapping that makes
every record bad costs no round trip, and the records left to isolate on
the server are only those whose fault only the server knows (CHECK,
foreign keys, unique keys, triggers).

Only what is exact is screened: a dialect describes a column's limits
(`ColumnLimits`) only for types whose rules it knows; anything else is
left to the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class ColumnLimits:
    """What values a target column refuses for certain, and how to say so.

    `max_chars`: strings longer than this many characters are refused unless
    the excess is spaces only. `int_range`: integers outside are refused.
    `not_null`: NULL is refused. Each `*_message` is the refusal's text.
    """

    name: str
    max_chars: int | None = None
    chars_message: str = ""
    int_range: tuple[int, int] | None = None
    range_message: str = ""
    not_null: bool = False
    null_message: str = ""


def column_faults(
    batch: pa.RecordBatch, limits: Sequence[ColumnLimits], null_checked: bool
) -> dict[int, str]:
    """The records of `batch` some column refuses, by index, with the first
    refusal's message (in the order of `limits`). NULLs count only when
    `null_checked` (the mode writes every value as it is)."""
    found: dict[int, str] = {}
    for limit in limits:
        index = batch.schema.get_field_index(limit.name)
        if index < 0:
            continue
        for row, message in _faults(batch.column(index), limit, null_checked):
            found.setdefault(row, message)
    return found


def _faults(array: pa.Array, limit: ColumnLimits, null_checked: bool) -> Iterator[tuple[int, str]]:
    kind = array.type
    if null_checked and limit.not_null and array.null_count:
        yield from _rows(pc.is_null(array), limit.null_message)
    if limit.max_chars is not None and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        long = pc.greater(pc.utf8_length(array), limit.max_chars)
        if pc.any(long).as_py():
            excess = pc.utf8_slice_codeunits(array, limit.max_chars)
            only_spaces = pc.equal(pc.utf8_length(pc.utf8_rtrim(excess, characters=" ")), 0)
            yield from _rows(pc.and_not(long, only_spaces), limit.chars_message)
    if limit.int_range is not None and pa.types.is_integer(kind):
        yield from _rows(_outside(array, *limit.int_range), limit.range_message)


def _outside(array: pa.Array, low: int, high: int) -> pa.Array:
    """Where integers of `array` fall outside `low`..`high` (`low` <= 0 <= `high`)."""
    kind = array.type
    bits = kind.bit_width
    if pa.types.is_signed_integer(kind):
        kind_low, kind_high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        kind_low, kind_high = 0, (1 << bits) - 1
    outside = pa.repeat(pa.scalar(False), len(array))
    if low > kind_low:
        outside = pc.or_(outside, pc.less(array, pa.scalar(low, kind)))
    if high < kind_high:
        outside = pc.or_(outside, pc.greater(array, pa.scalar(high, kind)))
    return outside


def _rows(mask: pa.Array, message: str) -> Iterator[tuple[int, str]]:
    """The indexes where `mask` is true (NULL is false), each with `message`."""
    for row in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
        yield int(row), message
