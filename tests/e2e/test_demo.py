"""The first start leaves a demo that one CLI command runs."""

from __future__ import annotations

import csv
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import serving

pytestmark = pytest.mark.e2e


def test_the_demo_sync_runs_from_the_cli(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir) as (url, log_path):
        output = log_path.read_text()
        found = re.search(r"syncline syncs run (\S+) --wait", output)
        assert found, output
        run = subprocess.run(
            [sys.executable, "-m", "syncline.cli", "syncs", "run", found.group(1), "--wait"],
            env={**os.environ, "SYNCLINE_URL": url, "SYNCLINE_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "completed: 1000 records, 1000 inserted" in run.stdout
    with (data_dir / "demo" / "export" / "customers.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1000
    assert rows[0]["email"].endswith("@example.com")
    _assert_private(data_dir)


def _assert_private(data_dir: Path) -> None:
    """The data directory and everything in it is its owner's alone (0700 and 0600)."""
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    seen = {"syncline.db", "secret.key", "api-key", "customers.db", "customers.csv"}
    for path in data_dir.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
        seen.discard(path.name)
    assert seen == set()
    assert any((data_dir / "state").rglob("*.parquet"))
    assert any((data_dir / "executions").rglob("*.parquet"))


def test_no_demo_when_its_directory_is_outside_the_local_roots(tmp_path: Path) -> None:
    roots = tmp_path / "roots"
    roots.mkdir()
    with serving(tmp_path / "data", SYNCLINE_LOCAL_ROOTS=str(roots)) as (_url, log_path):
        output = log_path.read_text()
    assert "Demo: not created" in output, output
    assert not (tmp_path / "data" / "demo").exists()


def test_the_first_page_shows_the_demo_sync_with_run_now(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir) as (url, log_path):
        key = re.search(r"API key: (\S+)", log_path.read_text())
        assert key, log_path.read_text()
        with httpx.Client(base_url=url, timeout=60) as browser:
            form = browser.get("/", follow_redirects=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token, form.text
            signed_in = browser.post(
                "/signin",
                data={"csrf_token": token.group(1), "api_key": key.group(1), "next": "/"},
                follow_redirects=True,
            )
    assert signed_in.status_code == 200
    assert "Demo: customers to CSV" in signed_in.text
    assert "Run now" in signed_in.text
