"""The hidden working area of one file write, its lock, and atomic publishing.

A write to `people.csv` owns, for its whole life:

- a lock file `.syncline-<tag>.lock` in the directory, held with `flock`, so
  two runs never merge into the same file at once (the later publish would
  silently drop the earlier run's records);
- a run directory `.syncline-<tag>-<random>/` in the same directory holding
  the staged batches, DuckDB's working database and spill files, and the
  merged output before it is published.

`<tag>` is a hash of the target's name, so every name (however long or odd)
gives a short, fixed-shape prefix. Both are hidden (leading dot), so the
connector never lists them as sources or targets. The run directory sits on
the target's file system, so publishing is one `os.replace`: readers see the
old file or the new one, never a partial file. `close()` removes both.
A run directory left by a crashed process is removed by the next write to
the same target, which can tell it is dead because it holds the lock.
Commit notes (`markers`) are settled there too, under the same lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from syncline.errors import ConnectorError

PREFIX = ".syncline-"
"""Every hidden file or directory a files writer makes starts with this."""


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's contents and metadata to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tag(name: str) -> str:
    """The short, fixed-shape stand-in for `name` in Syncline's hidden file names."""
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@contextlib.contextmanager
def locked(root: Path, name: str) -> Iterator[None]:
    """Hold the lock of target `name` in `root` (as a writer does) for the block.

    Raises `ConnectorError` when a run is writing the file.
    """
    path = root / f"{PREFIX}{tag(name)}.lock"
    try:
        fd = _lock(path, name)
    except OSError as exc:
        raise ConnectorError(f"cannot lock {name} in directory {root}: {exc}") from exc
    try:
        yield
    finally:
        _unlock(path, fd)


class RunArea:
    """The lock and hidden run directory of one write to one target file.

    Construct with `RunArea.open`; `close()` releases everything and is
    idempotent.
    """

    def __init__(self, root: Path, name: str, lock_fd: int, path: Path) -> None:
        self.root = root
        self.name = name
        self.path = path
        self._lock_fd: int | None = lock_fd
        self._lock_path = root / f"{PREFIX}{tag(name)}.lock"
        self.staged: list[Path] = []

    @classmethod
    def open(cls, root: Path, name: str) -> RunArea:
        """Lock the target `name` in directory `root` and make a fresh run directory.

        Raises `ConnectorError` when another run is writing the same file
        (we do not wait: the scheduler retries the sync later) or when the
        directory cannot be written.
        """
        label = tag(name)
        try:
            lock_fd = _lock(root / f"{PREFIX}{label}.lock", name)
        except OSError as exc:
            raise ConnectorError(f"cannot lock {name} in directory {root}: {exc}") from exc
        try:
            _remove_dead_areas(root, label)
            path = root / f"{PREFIX}{label}-{uuid.uuid4().hex}"
            path.mkdir()
        except OSError as exc:
            _unlock(root / f"{PREFIX}{label}.lock", lock_fd)
            raise ConnectorError(f"cannot write to directory {root}: {exc}") from exc
        return cls(root, name, lock_fd, path)

    @property
    def database(self) -> Path:
        """DuckDB's working database: identities seen so far, spilled to disk as needed."""
        return self.path / "work.duckdb"

    @property
    def spill(self) -> Path:
        """Where DuckDB writes what does not fit in its memory limit."""
        return self.path / "spill"

    @property
    def output(self) -> Path:
        """The merged file before it replaces the target."""
        return self.path / "output"

    def stage(self, table: pa.Table) -> Path:
        """Write `table` as the next staged batch and make it durable before returning.

        Raises `OSError` when the file cannot be written (disk full).
        """
        path = self.path / f"batch-{len(self.staged):06d}.parquet"
        pq.write_table(table, path)
        fsync_path(path)
        fsync_path(self.path)
        self.staged.append(path)
        return path

    def publish(self, target: Path) -> None:
        """Atomically replace `target` with the merged `output`, durably.

        The output is flushed before the rename and the directory after it,
        so a crash leaves either the old file or the complete new one. An
        existing target keeps its permission bits.
        """
        fsync_path(self.output)
        if target.exists():
            shutil.copymode(target, self.output)
        self.output.replace(target)
        fsync_path(target.parent)

    def close(self) -> None:
        """Remove the run directory and release the lock. Safe to call twice."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd is not None:
            _unlock(self._lock_path, self._lock_fd)
            self._lock_fd = None


def _lock(path: Path, name: str) -> int:
    """An open descriptor holding an exclusive lock on the lock file at `path`."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConnectorError(
                f"file {name} is being written by another run; try again when it finishes"
            ) from None
        except OSError:
            os.close(fd)
            raise
        # The previous holder unlinks the lock file before releasing it; if we
        # locked that unlinked file, our lock guards nothing, so start over.
        try:
            current = path.stat()
        except FileNotFoundError:
            os.close(fd)
            continue
        held = os.fstat(fd)
        if (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
            return fd
        os.close(fd)


def _unlock(path: Path, fd: int) -> None:
    # Unlink while still holding the lock, so nobody can lock the old file
    # believing it is current (see `_lock`).
    with contextlib.suppress(OSError):
        path.unlink()
    os.close(fd)


def _remove_dead_areas(root: Path, tag: str) -> None:
    """Remove run directories of this target left by crashed processes.

    Only called while holding the target's lock, so no live run owns them.
    """
    prefix = f"{PREFIX}{tag}-"
    for entry in os.scandir(root):
        if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
