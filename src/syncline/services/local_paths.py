"""Where connections that take a local path may reach: inside the local roots only.

A `sqlite` file or a `files` directory is a path on the Syncline server. Left
unchecked, one organization's connection could read or write the server's own
metadata database, its secret key, or another organization's state and
record logs. Every local path therefore passes `LocalRoots.confine`: it must
be absolute, and once resolved (symlinks followed, `..` folded) lie inside one
of `SYNCLINE_LOCAL_ROOTS`. A path outside gets one answer whether or not it
exists, so the answer reveals nothing about the server's file system.

The roots themselves may not overlap the data directory's own contents (the
metadata database, `secret.key`, `api-key`, `state/`, `executions/`): a server
so configured refuses to start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from syncline.connectors.base import ConnectorConfig
from syncline.errors import SettingsError, ValidationFailed
from syncline.settings import Settings

OWN_ENTRIES = ("secret.key", "api-key", "state", "executions")
"""What Syncline keeps in its data directory besides the SQLite metadata database."""

_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def protected_paths(settings: Settings) -> list[Path]:
    """The data directory's own contents, which no connection may ever reach."""
    data_dir = settings.data_dir.resolve()
    protected = [data_dir / name for name in OWN_ENTRIES]
    url = make_url(settings.resolved_database_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database).resolve()
        protected.extend(database.with_name(database.name + s) for s in _SQLITE_COMPANIONS)
    return protected


class LocalRoots:
    """The directories local paths must lie in, and the paths they must never reach."""

    def __init__(self, roots: Sequence[Path], protected: Sequence[Path]) -> None:
        self.roots = tuple(roots)
        self.protected = tuple(protected)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalRoots:
        """The roots `settings` configure (default: `files/` and `demo/` in the data dir).

        Raises `SettingsError` (one line, naming the root and what it overlaps)
        when a root contains, equals or lies inside one of the data
        directory's own entries.
        """
        configured = settings.local_roots
        if configured is None:
            configured = settings.default_local_roots()
        roots = [Path(root).expanduser().resolve() for root in configured]
        protected = protected_paths(settings)
        for root in roots:
            for own in protected:
                if _overlap(root, own):
                    raise SettingsError(
                        f"SYNCLINE_LOCAL_ROOTS: {root} overlaps Syncline's own {own}; "
                        "choose directories that neither contain nor lie inside the data "
                        f"directory's {', '.join(OWN_ENTRIES)} or metadata database"
                    )
        return cls(roots, protected)

    def confine(self, value: str, *, path: str) -> Path:
        """The resolved form of the local path `value`, when it lies inside a root.

        Raises `ValidationFailed` at `path` for a relative path, a `~` path,
        and any path that resolves outside every root or onto one of the data
        directory's own entries; the message is the same whether or not the
        path exists.
        """
        if value.startswith("~"):
            raise ValidationFailed(
                f"{path}: must be an absolute path; '~' is not expanded", path=path
            )
        candidate = Path(value)
        if "\x00" in value or not candidate.is_absolute():
            raise ValidationFailed(
                f"{path}: must be an absolute path inside {self._allowed()}", path=path
            )
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            resolved = None
        if resolved is None or not self._inside(resolved):
            raise ValidationFailed(
                f"{path}: {value!r} is outside the local directories this server allows "
                f"({self._allowed()}); an administrator can allow others with "
                "SYNCLINE_LOCAL_ROOTS",
                path=path,
            )
        return resolved

    def confined(self, config: ConnectorConfig, *, prefix: str) -> ConnectorConfig:
        """`config` with every local path field confined and replaced by its resolved form.

        Raises `ValidationFailed` at `<prefix>.<field>` (see `confine`).
        """
        fields = sorted(config.local_path_fields())
        if not fields:
            return config
        update = {
            name: str(self.confine(str(getattr(config, name)), path=f"{prefix}.{name}"))
            for name in fields
        }
        return config.model_copy(update=update)

    def _inside(self, resolved: Path) -> bool:
        if any(_overlap(resolved, own) for own in self.protected):
            return False
        return any(resolved.is_relative_to(root) for root in self.roots)

    def _allowed(self) -> str:
        if not self.roots:
            return "none: SYNCLINE_LOCAL_ROOTS is empty"
        return ", ".join(str(root) for root in self.roots)


def _overlap(a: Path, b: Path) -> bool:
    """Whether one of two resolved paths is, or lies inside, the other."""
    return a.is_relative_to(b) or b.is_relative_to(a)
