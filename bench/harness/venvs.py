"""Comparison tools installed into throwaway venvs under bench/: never dependencies of Syncline.

A venv is reused while its probe succeeds, and made again (`pip install`)
when it is missing or broken. A tool that cannot be installed is skipped
with the reason, and the benchmark goes on without it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.common import REPO_DIR


def venv_python(venv: Path) -> Path:
    """The interpreter of `venv`."""
    return venv / "bin" / "python"


def probe(python: Path, code: str) -> tuple[str | None, str]:
    """What `code` prints in that interpreter (None when it fails) and the error."""
    if not python.exists():
        return None, f"{python} does not exist"
    done = subprocess.run(  # noqa: S603
        [str(python), "-c", code], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip(), ""
    return None, (done.stderr.strip().splitlines() or ["?"])[-1]


def ensure_venv(
    tool: str, venv: Path, requirements: Sequence[str], probe_code: str
) -> tuple[str | None, str]:
    """What `probe_code` prints in a venv holding `requirements`, and a note on where it
    came from; (None, why) when the venv cannot be had."""
    shown = venv.relative_to(REPO_DIR)
    found, _ = probe(venv_python(venv), probe_code)
    if found:
        return found, f"reused {shown}"
    print(f"installing {' '.join(requirements)} into {venv} ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    steps = (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv_python(venv)), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", *requirements],
    )  # fmt: skip
    for step in steps:
        try:
            done = subprocess.run(  # noqa: S603
                step, capture_output=True, text=True, check=False, timeout=900
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{tool} skipped: `{' '.join(step[:3])}` failed: {exc}"
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return None, f"{tool} skipped: `{' '.join(step[:4])} ...` failed: {' / '.join(message)}"
    found, error = probe(venv_python(venv), probe_code)
    if not found:
        return None, f"{tool} skipped: installed, but the new venv cannot run it: {error}"
    return found, f"installed into {shown}"
