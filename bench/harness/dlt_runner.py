"""dlt as a comparison: installed into a throwaway venv, run as a separate process.

dlt is not a dependency of Syncline. `ensure_dlt_venv` creates
`bench/.dlt-venv` with `pip install 'dlt[postgres,parquet]>=1,<2' 'sqlalchemy>=1.4'`
(reused while it imports; see `venvs`), and `DltRunner` runs `dlt_job.py` in it once per
phase, timing the whole process (interpreter start and dlt's import
included, as a user running a pipeline sees it) and taking its peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from harness import data
from harness.common import (
    BENCH_DIR,
    DLT_DATASET,
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
from harness.venvs import ensure_venv, venv_python

DLT_VENV = BENCH_DIR / ".dlt-venv"
DLT_REQUIREMENTS = ("dlt[postgres,parquet]>=1,<2", "sqlalchemy>=1.4")
"""dlt with its postgres destination and Parquet support, and SQLAlchemy for `sql_database`."""
JOB = Path(__file__).with_name("dlt_job.py")
SOURCE_URL = f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
"""SQLAlchemy 2.1 defaults `postgresql://` to psycopg 3; dlt's postgres extra brings psycopg2."""
DESTINATION_URL = f"postgresql://{PG_USER}:unused@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
"""dlt insists on a password; trust authentication ignores it."""
_PROBE = "import dlt, pyarrow, sqlalchemy, psycopg2; print(dlt.__version__)"


def ensure_dlt_venv(venv: Path = DLT_VENV) -> tuple[Path | None, str]:
    """The python of a venv holding dlt 1.x, and a note; (None, why) when it cannot be had."""
    version, note = ensure_venv("dlt", venv, DLT_REQUIREMENTS, _PROBE)
    if version is None:
        return None, note
    return venv_python(venv), f"dlt {version} ({note})"


class DltRunner:
    """Runs the dlt job against one pipeline directory and the `dlt_bench` dataset."""

    table = f"{DLT_DATASET}.users"

    def __init__(self, python: Path, work_dir: Path, loader_file_format: str | None) -> None:
        self.python = python
        self.pipelines_dir = work_dir / "dlt-pipelines"
        self.log = work_dir / "dlt.log"
        self.loader_file_format = loader_file_format

    def reset(self) -> None:
        """Drop the dataset and forget the pipeline's state."""
        data.drop_pg_schema(DLT_DATASET)
        shutil.rmtree(self.pipelines_dir, ignore_errors=True)
        self.pipelines_dir.mkdir(parents=True)

    def run(self, rows: int, *, incremental: str | None = None) -> Measurement:
        """One pipeline run; `BenchError` with dlt's output when it fails."""
        command: list[str] = [
            str(self.python),
            str(JOB),
            "--source-url",
            SOURCE_URL,
            "--schema",
            SCHEMA,
            "--table",
            SOURCE_TABLE,
            "--destination-url",
            DESTINATION_URL,
            "--dataset",
            DLT_DATASET,
            "--pipelines-dir",
            str(self.pipelines_dir),
        ]
        if incremental:
            command += ["--incremental", incremental]
        if self.loader_file_format:
            command += ["--loader-file-format", self.loader_file_format]
        env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
        env.pop("PYTHONPATH", None)
        start_size = self.log.stat().st_size if self.log.exists() else 0
        done = run_child(command, env=env, log=self.log, cwd=self.pipelines_dir)
        if done.returncode != 0:
            raise BenchError(f"dlt exited {done.returncode}:\n{tail(self.log)}")
        output = self.log.read_bytes()[start_size:].decode(errors="replace").strip().splitlines()
        try:
            loaded = json.loads(output[-1])["rows"]
        except (IndexError, ValueError, KeyError):
            loaded = "?"
        detail = f"normalized {loaded:,}" if isinstance(loaded, int) else "normalized ?"
        return Measurement(done.seconds, rows, done.peak_rss_mb, detail)
