"""Which state a sync's directory holds, checked against what the metadata store recorded.

A sync's state lives in files under the data dir (`engine.state`); the
metadata store records which generation of it the last run left
(`StateMark`). A run whose data dir lacks that generation (no directory,
an older copy, another machine's) must not take the sync for a new one and
send everything again: it fails before sending anything, naming the path it
looked in. A resync, asked for deliberately, starts a new generation from
nothing instead.

The directory records its generation in `generation.json`: the mark and
the execution that made the state it came from (`parent`). A new mark is
made durable after the state files it describes and only then reported to
the store, so a crash between the two leaves the directory one generation
ahead of the store, made from exactly the state the store names: that state
is what the target holds, and the next run goes on from it.

A run that begins a state (a new sync, a resync) marks generation 0 (or the
stored one plus one) and reports it before it sends anything, so that a run
which crashes leaves a journal the store knows about: another machine then
fails instead of sending everything again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from syncline.engine.canonical import VERSION as HASH_VERSION
from syncline.engine.errors import EngineError
from syncline.engine.spec import RunHooks, StateCheck, StateMark
from syncline.engine.spill import write_durably
from syncline.engine.state import StateStore

MARK_FILE = "generation.json"


class StateMissing(EngineError):
    """The state the metadata store names is not in this run's state directory."""

    key = "state_missing"


@dataclass(frozen=True)
class DirectoryMark:
    """What a state directory says of itself: its mark and the execution that made the
    state it was made from (None for a state begun from nothing)."""

    mark: StateMark
    parent: str | None


def read_mark(directory: Path) -> DirectoryMark | None:
    """The mark `directory` holds, or None when it holds none.

    Raises `StateMissing` when the file cannot be read as a mark.
    """
    path = directory / MARK_FILE
    try:
        data = json.loads(path.read_text())
        mark = StateMark(
            generation=int(data["generation"]),
            execution_id=str(data["execution_id"]),
            hash_version=int(data["hash_version"]),
        )
        parent = data.get("parent")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateMissing(
            f"the state generation in {path} cannot be read ({error}); a resync starts "
            "this sync's state afresh"
        ) from None
    return DirectoryMark(mark, None if parent is None else str(parent))


def write_mark(directory: Path, mark: DirectoryMark) -> None:
    """Make `mark` the directory's, atomically and durably."""
    text = json.dumps(
        {
            "generation": mark.mark.generation,
            "execution_id": mark.mark.execution_id,
            "hash_version": mark.mark.hash_version,
            "parent": mark.parent,
        }
    )

    def write(path: Path) -> None:
        path.write_text(text)

    write_durably(directory / MARK_FILE, write)


class Generation:
    """The state generation of one run with a `StateCheck`: checked when the state is
    opened, advanced when the run completes, and reported through `hooks` each time."""

    def __init__(
        self, check: StateCheck, execution_id: str, hooks: RunHooks, *, resync: bool
    ) -> None:
        self.check = check
        self.execution_id = execution_id
        self.hooks = hooks
        self.resync = resync
        self.current: StateMark | None = None
        """The state this run started from (once `settle` has run)."""

    def require_directory(self, directory: Path) -> None:
        """Before the state is opened (which creates its directory): raise `StateMissing`
        when the store names a state and `directory` does not exist, unless this is a resync."""
        expected = self.check.stored is not None or self.check.unrecorded
        if expected and not self.resync and not directory.exists():
            raise self._missing(directory, "there is no such directory")

    def settle(self, store: StateStore) -> None:
        """Check the opened state against the store's record and report the state this run
        starts from; begin one from nothing for a new sync, or a resync that lacks its own.

        Raises `StateMissing` when the directory lacks the recorded state.
        """
        check = self.check
        new = check.stored is None and not check.unrecorded
        try:
            found = read_mark(store.directory)
        except StateMissing:
            if not (new or self.resync):
                raise
            found = None  # replaced below by the mark of the state this run begins
        if new:
            if found is not None or not store.is_new or store.watermark is not None:
                # Left by a run that stopped before the store heard of its state: it sent nothing.
                store.discard()
            mark = self._begin(store, 0, parent=None)
        elif check.stored is None:
            if found is not None:
                mark = found.mark
            elif not store.is_new:
                mark = StateMark(store.generation, self.execution_id, store.hash_version)
                write_mark(store.directory, DirectoryMark(mark, None))
            elif self.resync:
                mark = self._begin(store, 0, parent=None)
            else:
                raise self._missing(store.directory, "it holds no state")
        else:
            mark = self._settle_stored(store, check.stored, found)
        self.current = mark
        self.hooks.state_marked(mark)

    def advance(self, store: StateStore) -> None:
        """After a completed run made its state and watermark durable: mark the next
        generation, then report it."""
        if self.current is None:
            raise EngineError("the state generation was never settled")
        mark = StateMark(self.current.generation + 1, self.execution_id, store.hash_version)
        write_mark(store.directory, DirectoryMark(mark, self.current.execution_id))
        self.current = mark
        self.hooks.state_marked(mark)

    def _settle_stored(
        self, store: StateStore, stored: StateMark, found: DirectoryMark | None
    ) -> StateMark:
        if found is not None and _same(found.mark, stored):
            return found.mark
        if (
            found is not None
            and found.mark.generation == stored.generation + 1
            and found.parent == stored.execution_id
        ):
            self.hooks.log(
                "info",
                f"the run that made this sync's state generation {found.mark.generation} "
                "stopped before recording it; going on from it",
            )
            return found.mark
        if not self.resync:
            raise self._missing(store.directory, _holding(store, found))
        self.hooks.log(
            "warning",
            f"this sync's state generation {stored.generation} is not in {store.directory} "
            f"({_holding(store, found)}); the resync starts generation "
            f"{stored.generation + 1} from nothing",
        )
        store.discard()
        return self._begin(store, stored.generation + 1, parent=stored.execution_id)

    def _begin(self, store: StateStore, generation: int, *, parent: str | None) -> StateMark:
        mark = StateMark(generation, self.execution_id, HASH_VERSION)
        write_mark(store.directory, DirectoryMark(mark, parent))
        return mark

    def _missing(self, directory: Path, what: str) -> StateMissing:
        stored = self.check.stored
        if stored is None:
            state = "this sync's state (kept before Syncline recorded state generations)"
        else:
            state = (
                f"this sync's state generation {stored.generation} "
                f"(left by execution {stored.execution_id})"
            )
        message = f"{state} is not in {directory}: {what}. Nothing was sent."
        if self.check.remedy:
            message = f"{message} {self.check.remedy}"
        return StateMissing(message)


def _same(one: StateMark, other: StateMark) -> bool:
    return (one.generation, one.execution_id) == (other.generation, other.execution_id)


def _holding(store: StateStore, found: DirectoryMark | None) -> str:
    if found is None:
        return "it holds no state" if store.is_new else "it holds a state of no recorded generation"
    return (
        f"it holds generation {found.mark.generation} (left by execution {found.mark.execution_id})"
    )
