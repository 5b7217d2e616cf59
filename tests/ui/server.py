"""A real `syncline serve` for the browser tests: where it listens and how to sign in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import serve_process

API_KEY = "sl_ui_key"
"""The API key of the first admin user of every UI server (`SYNCLINE_API_KEY`)."""


@dataclass(frozen=True)
class UiServer:
    """A running `syncline serve` on the embedded default (SQLite metadata, local pool)."""

    base_url: str
    """`http://127.0.0.1:<port>`, without a trailing slash."""
    api_key: str
    """The admin's API key: `Authorization: Bearer <api_key>`, or what the sign-in page takes."""
    data_dir: Path
    """`SYNCLINE_DATA_DIR`: the SQLite metadata file and the generated secret key."""
    local_root: Path
    """`SYNCLINE_LOCAL_ROOTS`: where `sqlite` and `files` connections may point."""
    log_path: Path
    """What the server printed."""

    def url(self, path: str) -> str:
        """The absolute URL of `path` (which starts with `/`) on this server."""
        return f"{self.base_url}{path}"


@contextmanager
def ui_serving(root: Path, **env_extra: str) -> Iterator[UiServer]:
    """Run `syncline serve` with its directories under `root` until the context ends.

    No demo sync is created, so the server starts empty; `env_extra` adds or
    overrides `SYNCLINE_*` settings.
    """
    data_dir = root / "data"
    local_root = root / "files"
    local_root.mkdir(parents=True, exist_ok=True)
    env = {
        "SYNCLINE_API_KEY": API_KEY,
        "SYNCLINE_DEMO": "false",
        "SYNCLINE_LOCAL_ROOTS": str(local_root),
        **env_extra,
    }
    with serve_process(data_dir, **env) as served:
        yield UiServer(
            base_url=served.url,
            api_key=env["SYNCLINE_API_KEY"],
            data_dir=data_dir,
            local_root=local_root,
            log_path=served.log_path,
        )
