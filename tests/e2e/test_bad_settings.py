"""A bad setting stops `syncline` with one line naming it, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import PATIENCE

CASES = {
    "not a URL": {"SYNCLINE_DATABASE_URL": "not-a-url"},
    "MySQL store": {"SYNCLINE_DATABASE_URL": "mysql://root:pw@127.0.0.1/x"},
    "missing driver": {"SYNCLINE_DATABASE_URL": "postgresql+psycopg2://u:pw@127.0.0.1/x"},
    "workers": {"SYNCLINE_WORKERS": "abc"},
    "executor": {"SYNCLINE_EXECUTOR": "threads"},
    "secret key": {"SYNCLINE_SECRET_KEY": "not-a-fernet-key"},
    "roots syntax": {"SYNCLINE_LOCAL_ROOTS": "[/srv"},
    "root is the data dir": {"SYNCLINE_LOCAL_ROOTS": "{data_dir}"},
    "root holds the data dir": {"SYNCLINE_LOCAL_ROOTS": "{parent}"},
    "root inside state": {"SYNCLINE_LOCAL_ROOTS": "{data_dir}/state/x"},
}


RUNS = [(case, ["serve", "--port", "9"]) for case in sorted(CASES)] + [
    (case, command)
    for case in ("workers", "root inside state")
    for command in (["scheduler"], ["migrate"], ["worker"])
]


@pytest.mark.parametrize(("case", "command"), RUNS)
def test_a_bad_setting_is_one_line_and_creates_nothing(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    data_dir = tmp_path / "data"
    values = {
        name: value.format(data_dir=data_dir, parent=tmp_path)
        for name, value in CASES[case].items()
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNCLINE_")},
        "SYNCLINE_DATA_DIR": str(data_dir),
        **values,
    }
    if command == ["worker"]:
        env |= {"SYNCLINE_EXECUTOR": "celery", "SYNCLINE_BROKER_URL": "redis://127.0.0.1:6379/9"}
    done = subprocess.run(
        [sys.executable, "-m", "syncline.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    variable = next(iter(values))
    assert lines[0].startswith(f"Error: {variable}"), lines[0]
    assert "pw" not in lines[0]
    assert not data_dir.exists()
