"""Syncline's licence is real, and every vendored asset ships with its own."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "syncline"
# SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt, the licence's full text.
APACHE_2_0 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def _vendored_directories() -> list[Path]:
    """Each directory of third-party files: the folders inside a `static` folder."""
    return sorted(d for static in PACKAGE.rglob("static") for d in static.iterdir() if d.is_dir())


def test_the_licence_is_the_full_apache_2_0_text() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_0
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = pyproject["project"]["license"]
    assert declared in ("Apache-2.0", {"text": "Apache-2.0"})


def test_every_vendored_directory_carries_its_licence() -> None:
    directories = _vendored_directories()
    assert directories, "no vendored assets found"
    for directory in directories:
        assert (directory / "LICENSE").is_file(), directory


def test_vendored_files_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["syncline"]
    for directory in _vendored_directories():
        for path in directory.iterdir():
            relative = PurePosixPath(path.relative_to(PACKAGE).as_posix())
            assert any(relative.match(p) for p in patterns), relative
