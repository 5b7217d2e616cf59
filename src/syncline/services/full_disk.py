"""A full disk: telling it apart from other failures, and naming the file system.

A run writes to the data directory (its state, record logs and spill
files), to the SQLite metadata store when that is the store, and to local
`files` targets. When one of them has no room left, the run ends `failed`
with one message naming the file system, so a person knows what to free.

Only failures of this machine's own writes count: a database server that
reports its own disk full is the connector's message, not ours.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

_NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_ROOM_TEXTS = ("no space left on device", "disk quota exceeded")
_SQLITE_FULL = 13
"""SQLite's result code for "database or disk is full" (`SQLITE_FULL`)."""


def no_space_left(error: BaseException) -> bool:
    """Whether `error`, or an error it came from, is a local write that found no room.

    That is an `OSError` with `ENOSPC` or `EDQUOT` (Arrow's and Python's own
    writes), DuckDB's I/O error saying so, or SQLite's `SQLITE_FULL`.
    """
    for each in _chain(error):
        if isinstance(each, OSError) and each.errno in _NO_ROOM_ERRNOS:
            return True
        if isinstance(each, sqlite3.Error) and (
            getattr(each, "sqlite_errorcode", None) == _SQLITE_FULL
            or "database or disk is full" in str(each)
        ):
            return True
        if type(each).__module__.lstrip("_").startswith("duckdb") and any(
            text in str(each).lower() for text in _NO_ROOM_TEXTS
        ):
            return True
    return False


def failed_path(error: BaseException) -> Path | None:
    """The file an `OSError` in `error`'s chain names, if any."""
    for each in _chain(error):
        if isinstance(each, OSError) and each.filename:
            return Path(os.fsdecode(each.filename))
    return None


def fullest(paths: Sequence[Path]) -> Path:
    """Of `paths` (at least one), the one on the file system with the least room
    left for this process; the first on a tie or when none can be measured."""
    best, room = paths[0], None
    for path in paths:
        free = _free_bytes(path)
        if free is not None and (room is None or free < room):
            best, room = path, free
    return best


def no_space_message(path: Path) -> str:
    """`no space left on <mount point> (holding <path>)`, and what to do about it."""
    where = Path(path).resolve()
    mount = mount_point(where)
    place = str(mount) if mount == where else f"{mount} (holding {where})"
    return f"no space left on {place}; free some space there, then run the sync again"


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding `path` (or its nearest existing parent)."""
    current = Path(path).resolve()
    while not current.exists() and current != current.parent:
        current = current.parent
    while not os.path.ismount(current) and current != current.parent:
        current = current.parent
    return current


def _free_bytes(path: Path) -> int | None:
    current = Path(path).resolve()
    while not current.exists() and current != current.parent:
        current = current.parent
    try:
        stats = os.statvfs(current)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, the errors it was raised from or during, and a driver's original error."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        each = pending.pop()
        if id(each) in seen:
            continue
        seen.add(id(each))
        yield each
        for linked in (each.__cause__, each.__context__, getattr(each, "orig", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)
