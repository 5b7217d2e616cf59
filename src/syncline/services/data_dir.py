"""The data directory: made private before anything is written into it.

The data directory holds the secret key, the first API key, the SQLite
metadata database, every sync's state and every run's record logs: all of it
is credentials or an organization's records. Syncline's processes therefore
create files private to their user (umask 077: directories 0700, files 0600),
and the data directory itself is created 0700.
"""

from __future__ import annotations

import os

from syncline.errors import SettingsError
from syncline.services.local_paths import LocalRoots
from syncline.settings import Settings

PRIVATE_UMASK = 0o077


def prepare_data_dir(settings: Settings) -> None:
    """Check the local roots, make the process's new files private, and create the data
    directory (0700) and the default local root `files/` in it.

    Raises `SettingsError` when the configured local roots overlap the data
    directory's own contents (nothing is created then), or when the data
    directory cannot be created.
    """
    LocalRoots.from_settings(settings)
    os.umask(PRIVATE_UMASK)
    try:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if settings.local_roots is None:
            (settings.data_dir / "files").mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"SYNCLINE_DATA_DIR: cannot create {exc.filename or settings.data_dir}: "
            f"{exc.strerror or exc}"
        ) from None
