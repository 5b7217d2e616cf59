"""The first start leaves a demo that one CLI command runs."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import serving

pytestmark = pytest.mark.e2e


def test_the_demo_sync_runs_from_the_cli(tmp_path: Path) -> None:
    with serving(tmp_path) as (url, log_path):
        output = log_path.read_text()
        found = re.search(r"syncline syncs run (\S+) --wait", output)
        assert found, output
        run = subprocess.run(
            [sys.executable, "-m", "syncline.cli", "syncs", "run", found.group(1), "--wait"],
            env={**os.environ, "SYNCLINE_URL": url, "SYNCLINE_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "completed: 1000 records, 1000 inserted" in run.stdout
    with (tmp_path / "demo" / "export" / "customers.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1000
    assert rows[0]["email"].endswith("@example.com")
