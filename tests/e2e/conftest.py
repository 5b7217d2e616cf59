"""`syncline serve` as a subprocess on the embedded default, shared by the e2e tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

API_KEY = "sl_e2e_key"
PATIENCE = 180.0
"""Seconds a wait for an observable state gives up after: a bound against a hang on a
loaded 2-core host, never a speed goal (those are measured in bench/)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Serve:
    """A running `syncline serve`: where it listens, its process and its log."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def serving(data_dir: Path, **env_extra: str) -> Iterator[tuple[str, Path]]:
    """Run `syncline serve` on a free port with the embedded default; yields (URL, log path)."""
    with serve_process(data_dir, **env_extra) as served:
        yield served.url, served.log_path


@contextmanager
def serve_process(data_dir: Path, **env_extra: str) -> Iterator[Serve]:
    """Run `syncline serve` on a free port with the embedded default until the context ends.

    The log is kept beside the data directory, which `serve` creates if needed.
    """
    port = _free_port()
    env = {**os.environ, "SYNCLINE_DATA_DIR": str(data_dir), **env_extra}
    env.pop("SYNCLINE_DATABASE_URL", None)
    log_path = data_dir.with_name(f"{data_dir.name}.serve.log")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "syncline.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    served = Serve("127.0.0.1", port, process, log_path)
    try:
        _wait_until_up(served.url, process, log_path)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


@pytest.fixture(scope="session")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local root of the `served` server: SQLite files and file directories go here."""
    return tmp_path_factory.mktemp("served-root")


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory, served_root: Path
) -> Iterator[tuple[str, str]]:
    """A server for the SDK tests (no demo); yields (base URL, what it printed)."""
    data_dir = tmp_path_factory.mktemp("serve")
    with serving(
        data_dir,
        SYNCLINE_API_KEY=API_KEY,
        SYNCLINE_DEMO="false",
        SYNCLINE_LOCAL_ROOTS=str(served_root),
    ) as (url, log_path):
        yield url, log_path.read_text()
    assert (data_dir / "syncline.db").exists()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"syncline serve exited early:\n{log_path.read_text()}")
        try:
            httpx.get(f"{base_url}/api/me", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"syncline serve did not answer within {PATIENCE} s:\n{log_path.read_text()}")


def finished_execution(sdk: Any, sync_id: str, execution_id: str) -> Any:
    """The execution, polled through the SDK until it ends (a bound of `PATIENCE`)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        execution = sdk.model_sync.executions.get(sync_id, execution_id).data
        assert execution is not None
        if execution.status in ("completed", "failed", "canceled", "interrupted"):
            return execution
        time.sleep(0.1)
    raise AssertionError(f"execution {execution_id} did not end within {PATIENCE} s")


def run_to_end(sdk: Any, sync_id: str) -> Any:
    """Start a run of `sync_id` through the SDK; the execution once it ended."""
    started = sdk.model_sync.start(sync_id).data
    assert started is not None
    assert started.id
    return finished_execution(sdk, sync_id, started.id)
