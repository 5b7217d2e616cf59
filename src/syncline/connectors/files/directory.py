"""The directory of a `files` connection: what is in it, and safe access to it.

Every file name that comes from a request passes through `Directory.locate`
(existing files) or `unsafe_name_reason` (new files), so no request can reach
a path outside the directory: names with separators, `..`, absolute paths
and symlinks that resolve outside are refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from syncline.connectors.files.formats import SUPPORTED, FileFormat, format_of
from syncline.errors import BadRequest, ConnectorError, ObjectNotFound

# DuckDB expands these in a path as a glob, which would read several files.
_GLOB_CHARACTERS = frozenset("*?[]{}")


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` cannot name a file directly inside a directory, or None if it can.

    A usable name is a single path component: not empty, not absolute, no
    `/` or `\\`, not `.` or `..`, no NUL byte, no glob characters (DuckDB
    would expand them), and not hidden (dot files are Syncline's own
    temporary files and are never listed).
    """
    if not name or not name.strip():
        reason = "is empty"
    elif name.startswith("/") or Path(name).is_absolute():
        reason = "is an absolute path; name a file inside the directory"
    elif "/" in name or "\\" in name or name in {".", ".."}:
        reason = "is a path; name a file directly inside the directory"
    elif "\x00" in name:
        reason = "contains a NUL byte"
    elif _GLOB_CHARACTERS.intersection(name):
        reason = "contains one of the characters * ? [ ] { }"
    elif name.startswith("."):
        reason = "is a hidden file name"
    else:
        reason = None
    return reason


class Directory:
    """A local directory of CSV, JSON Lines and Parquet files.

    Constructing one touches nothing; each method looks at the file system
    when called.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def problems(self) -> str | None:
        """What stops Syncline from reading and writing the directory, or None.

        The message names the directory and what is wrong with it, such as
        "directory /x does not exist".
        """
        root = self.root
        if not root.exists():
            return f"directory {root} does not exist"
        if not root.is_dir():
            return f"{root} is not a directory"
        missing = [
            word
            for word, mode in (("readable", os.R_OK | os.X_OK), ("writable", os.W_OK | os.X_OK))
            if not os.access(root, mode)
        ]
        if missing:
            return f"directory {root} is not {' or '.join(missing)} by the Syncline process"
        return None

    def files(self) -> list[str]:
        """The names of the supported files directly in the directory, sorted.

        Hidden files, subdirectories, other extensions and symlinks resolving
        outside the directory are left out. Raises `ConnectorError` when the
        directory cannot be listed.
        """
        try:
            names = [entry.name for entry in os.scandir(self.root)]
        except OSError as exc:
            raise ConnectorError(
                self.problems() or f"cannot list directory {self.root}: {exc}"
            ) from exc
        return sorted(name for name in names if self._usable(name) is not None)

    def locate(self, name: str) -> tuple[Path, FileFormat]:
        """The resolved path and format of the supported file `name`.

        Raises `BadRequest` naming the value when `name` is not a plain file
        name inside the directory (traversal, absolute path, symlink escape),
        and `ObjectNotFound` when no supported file has that name.
        """
        reason = unsafe_name_reason(name)
        if reason is not None:
            raise BadRequest(f"file {name!r} {reason}", metadata={"file": name})
        if not self._inside(name):
            raise BadRequest(
                f"file {name!r} resolves outside the directory {self.root}",
                metadata={"file": name},
            )
        found = self._usable(name)
        if found is None:
            raise ObjectNotFound(
                f"no {SUPPORTED} file named {name!r} in directory {self.root}",
                metadata={"file": name},
            )
        return found

    def exists(self, name: str) -> bool:
        """Whether anything (file, directory, dangling symlink) is called `name`."""
        return os.path.lexists(self.root / name)

    def _inside(self, name: str) -> bool:
        """Whether `name` resolves, following symlinks, to a path inside the directory."""
        root = self.root.resolve()
        return (root / name).resolve().is_relative_to(root)

    def _usable(self, name: str) -> tuple[Path, FileFormat] | None:
        """The resolved path and format of `name` if it is a file Syncline may use."""
        file_format = format_of(name)
        if file_format is None or unsafe_name_reason(name) is not None:
            return None
        root = self.root.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path, file_format
