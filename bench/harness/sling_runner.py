"""sling as a comparison: its binary from PyPI, in a throwaway venv, run as a separate process.

sling is not a dependency of Syncline. `ensure_sling` installs the
platform's binary package (`sling-linux-amd64` or `sling-linux-arm64`) at
the version the performance goals were set against into `bench/.sling-venv`
(see `venvs`). `SlingRunner` runs `sling run` in incremental mode on the
primary key `id` into `sling_bench.users`, timing the whole process and
taking its peak RSS; with an update key it reads only rows changed since
the largest `updated_at` the target holds.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from pathlib import Path

from harness import data
from harness.common import (
    BENCH_DIR,
    PG_DATABASE,
    PG_HOST,
    PG_PORT,
    PG_USER,
    SCHEMA,
    SOURCE_TABLE,
    BenchError,
    Measurement,
    run_child,
    tail,
)
from harness.venvs import ensure_venv

SLING_VENV = BENCH_DIR / ".sling-venv"
SLING_VERSION = "1.4.11"
SLING_SCHEMA = "sling_bench"
_PACKAGES = {"x86_64": "sling-linux-amd64", "aarch64": "sling-linux-arm64"}
_PROBE = (
    "import subprocess, {module} as s; "
    "subprocess.run([s.SLING_BIN, '--version'], check=True, capture_output=True); "
    "print(s.SLING_VERSION, s.SLING_BIN)"
)
_CONNECTION = "BENCH_PG"
_URL = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}?sslmode=disable"
_INSERTED = re.compile(r"inserted (\d+) rows")


def ensure_sling(venv: Path = SLING_VENV) -> tuple[Path | None, str]:
    """sling's binary and a note; (None, why) when it cannot be had on this machine."""
    system, machine = platform.system(), platform.machine()
    package = _PACKAGES.get(machine) if system == "Linux" else None
    if package is None:
        return None, f"sling skipped: no binary package for {system} {machine}"
    probe_code = _PROBE.format(module=package.replace("-", "_"))
    found, note = ensure_venv("sling", venv, [f"{package}=={SLING_VERSION}"], probe_code)
    if found is None:
        return None, note
    version, binary = found.split(" ", 1)
    return Path(binary), f"sling {version} ({note})"


class SlingRunner:
    """Runs `sling run` from the source table into `sling_bench.users`."""

    table = f"{SLING_SCHEMA}.users"

    def __init__(self, binary: Path, work_dir: Path) -> None:
        self.binary = binary
        self.home = work_dir / "sling-home"
        self.log = work_dir / "sling.log"

    def reset(self) -> None:
        """Drop what earlier runs loaded; sling keeps its incremental state in the target."""
        data.drop_pg_schema(SLING_SCHEMA)
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)

    def run(self, rows: int, *, incremental: str | None = None) -> Measurement:
        """One `sling run`; `BenchError` with sling's output when it fails."""
        command = [
            str(self.binary), "run",
            "--src-conn", _CONNECTION, "--src-stream", f"{SCHEMA}.{SOURCE_TABLE}",
            "--tgt-conn", _CONNECTION, "--tgt-object", self.table,
            "--mode", "incremental", "--primary-key", "id",
        ]  # fmt: skip
        if incremental:
            command += ["--update-key", incremental]
        env = {
            **os.environ,
            _CONNECTION: _URL,
            "SLING_HOME_DIR": str(self.home),
            "SLING_DISABLE_TELEMETRY": "true",
        }
        start_size = self.log.stat().st_size if self.log.exists() else 0
        done = run_child(command, env=env, log=self.log)
        if done.returncode != 0:
            raise BenchError(f"sling exited {done.returncode}:\n{tail(self.log)}")
        output = self.log.read_bytes()[start_size:].decode(errors="replace")
        found = _INSERTED.findall(output)
        detail = f"inserted {int(found[-1]):,}" if found else "inserted ?"
        return Measurement(done.seconds, rows, done.peak_rss_mb, detail)
