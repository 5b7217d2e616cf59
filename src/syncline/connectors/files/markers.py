"""Commit markers of file targets: a note, per sync, that a run published the file.

A files writer publishes a whole run in one rename (`staging.RunArea.publish`).
Just before it, a writer whose plan has a `mark` writes a note, durably,
beside the target: `.syncline-<target tag>.commit-<sync tag>` naming the
sync, the execution and the identity of the file about to be renamed into
place (device, inode, size, modification time), which the rename keeps. A
crash between the rename and the engine's record of the run then loses
nothing: the target file being that file proves the run published
(`FilesCommitLedger`), so its records are not appended a second time.

Another sync may publish to the same file before the crashed one looks: so
every writer, holding the target's lock, first settles the notes whose file
is the target (marks them published) before it may replace it. The lock also
guards the ledger's look. A run removes its note once its state is
committed, and a writer removes its own sync's note when it opens (the
engine has read it back by then). Notes are hidden files, so the connector
never lists them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from syncline.connectors.files.staging import PREFIX, fsync_path, locked, tag
from syncline.connectors.writing import CommitLedger, CommitMark, CommittedBatch
from syncline.errors import ConnectorError


def note_path(root: Path, name: str, sync_id: str) -> Path:
    """Where the note of sync `sync_id` about target `name` lives."""
    return root / f"{PREFIX}{tag(name)}.commit-{tag(sync_id)}"


def write_note(root: Path, name: str, mark: CommitMark, output: Path) -> None:
    """Record, durably, that `mark`'s execution is about to publish `output` as `name`.

    Raises `OSError` when the note cannot be written.
    """
    note = {"sync": mark.sync_id, "execution": mark.execution_id, **_identity(output)}
    note["published"] = False
    _write(note_path(root, name, mark.sync_id), note)


def settle_notes(root: Path, name: str, current: Path) -> None:
    """Mark published every note about `name` whose file is `current`, the target now.

    Call it holding the target's lock, before anything may replace the file.
    Raises `OSError` when a note cannot be rewritten.
    """
    try:
        now = _identity(current)
    except FileNotFoundError:
        return
    for path in root.glob(f"{PREFIX}{tag(name)}.commit-*"):
        if path.name.endswith(".tmp"):
            continue
        note = _read(path)
        if note is not None and not note.get("published") and _same_file(note, now):
            _write(path, {**note, "published": True})


def remove_note(root: Path, name: str, sync_id: str) -> None:
    """Forget the note of `sync_id` about `name`, if any."""
    note_path(root, name, sync_id).unlink(missing_ok=True)


class FilesCommitLedger(CommitLedger):
    """The notes about one target file (see the module docstring)."""

    def __init__(self, root: Path, name: str, path: Path) -> None:
        self.root = root
        self.name = name
        self.path = path

    def committed(self, sync_id: str, execution_ids: Sequence[str]) -> list[CommittedBatch]:
        """Whether one of these executions published the file: one `CommittedBatch`
        without a batch number for it, or none.

        Raises `ConnectorError` when a run is writing the file or the notes
        cannot be read.
        """
        try:
            with locked(self.root, self.name):
                settle_notes(self.root, self.name, self.path)
                note = _read(note_path(self.root, self.name, sync_id))
        except OSError as exc:
            raise ConnectorError(f"cannot read the commit notes of {self.name}: {exc}") from exc
        if note is None or not note.get("published") or note.get("sync") != sync_id:
            return []
        execution = str(note.get("execution"))
        return [CommittedBatch(execution)] if execution in execution_ids else []

    def forget(self, sync_id: str, execution_id: str) -> None:
        """Remove the note of `sync_id` if it is about `execution_id`."""
        path = note_path(self.root, self.name, sync_id)
        note = _read(path)
        if note is not None and note.get("execution") == execution_id:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                message = f"cannot remove the commit note of {self.name}: {exc}"
                raise ConnectorError(message) from exc


_IDENTITY = ("device", "inode", "size", "mtime_ns")


def _identity(path: Path) -> dict[str, int]:
    found = path.stat()
    return {
        "device": found.st_dev,
        "inode": found.st_ino,
        "size": found.st_size,
        "mtime_ns": found.st_mtime_ns,
    }


def _same_file(note: dict[str, Any], identity: dict[str, int]) -> bool:
    return all(note.get(key) == identity[key] for key in _IDENTITY)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        note = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return None  # torn by a crash before its rename: it was never in place
    return note if isinstance(note, dict) else None


def _write(path: Path, note: dict[str, Any]) -> None:
    """Replace the note at `path` atomically and durably."""
    temporary = path.with_name(f"{path.name}.tmp")
    temporary.write_text(json.dumps(note))
    fsync_path(temporary)
    temporary.replace(path)
    fsync_path(path.parent)
