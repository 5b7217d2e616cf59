"""Syncline as a user runs it: a `syncline serve` process driven through the HTTP API.

`SynclineServer` starts a server with a fresh data directory (so no sync
state survives from an earlier run); `Api` wraps the calls the benchmark
makes: connections, the model (and switching its tracking column on), the
sync, and executions started with `{}` and polled until they end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from harness.common import (
    FIELDS,
    MYSQL_DATABASE,
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    PG_DATABASE,
    PG_HOST,
    PG_PORT,
    PG_USER,
    SCHEMA,
    SOURCE_TABLE,
    BenchError,
    Measurement,
    peak_rss_mb,
    reset_peak,
    rss_mb,
    tail,
)

API_KEY = "sl_bench_key"
TERMINAL = ("completed", "failed", "canceled", "interrupted")
PG_CONFIG = {"hostname": PG_HOST, "port": PG_PORT, "database": PG_DATABASE, "username": PG_USER}
MYSQL_CONFIG = {
    "hostname": MYSQL_HOST,
    "port": MYSQL_PORT,
    "dbname": MYSQL_DATABASE,
    "account": MYSQL_USER,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve_command() -> list[str]:
    """`syncline serve` of the venv running this script (its console script if installed)."""
    script = Path(sys.executable).with_name("syncline")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "syncline.cli", "serve"]


class SynclineServer:
    """A `syncline serve` subprocess on a free port with its own data directory."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.data_dir = work_dir / "syncline-data"
        self.log = work_dir / "syncline-serve.log"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.api: Api | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> Api:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        env = {
            **os.environ,
            "SYNCLINE_DATA_DIR": str(self.data_dir),
            "SYNCLINE_API_KEY": API_KEY,
            "SYNCLINE_DEMO": "false",
        }
        command = [*_serve_command(), "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            timeout=300,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"syncline serve exited {self.process.returncode}:\n{self._log()}")
            try:
                if client.get("/api/me").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"syncline serve did not answer within 60 s:\n{self._log()}")
            time.sleep(0.1)
        self.api = Api(client, self)
        return self.api

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.api is not None:
            self.api.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _log(self) -> str:
        return tail(self.log)


class Api:
    """The calls the benchmark makes, each failing loudly with the server's answer."""

    def __init__(self, client: httpx.Client, server: SynclineServer) -> None:
        self.client = client
        self.server = server

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The `data` of a JSON answer; `BenchError` with the answer for any non-2xx status."""
        answer = self.client.request(method, path, json=body)
        if answer.status_code >= 300:
            raise BenchError(f"{method} {path} answered {answer.status_code}: {answer.text}")
        return answer.json().get("data")

    def connection(self, name: str, kind: str, configuration: dict[str, Any]) -> str:
        """Create a connection; its id."""
        data = self.call(
            "POST",
            "/api/connections",
            {"name": name, "type": kind, "configuration": configuration},
        )
        return str(data["id"])

    def users_model(self, connection_id: str) -> dict[str, Any]:
        """Create the model over the source table (no tracking column); the model."""
        body = self.model_body(connection_id, tracking=False)
        model: dict[str, Any] = self.call("POST", "/api/models", body)
        return model

    @staticmethod
    def model_body(connection_id: str, *, tracking: bool) -> dict[str, Any]:
        """The full create/update body of the users model."""
        return {
            "name": "bench users",
            "connection_id": connection_id,
            "configuration": {"table": f"{SCHEMA}.{SOURCE_TABLE}"},
            "identifier": "id",
            "tracking_columns": ["updated_at"] if tracking else [],
        }

    def enable_tracking(self, model: dict[str, Any]) -> None:
        """Set the model's tracking column to `updated_at` (PUT is a full replacement)."""
        body = self.model_body(model["connection_id"], tracking=True)
        updated = self.call("PUT", f"/api/models/{model['id']}", body)
        if updated.get("tracking_columns") != ["updated_at"]:
            raise BenchError(f"the model's tracking columns are {updated.get('tracking_columns')}")

    def sync(self, model_id: str, target: dict[str, Any]) -> str:
        """Create the updateOrCreate sync of every field, identity `id`; its id.

        `target` is the sync's `target`: `connection_id` and either `object` or
        `create` (then every field is marked `new`).
        """

        def source(field: str) -> dict[str, str]:
            return {"model_id": model_id, "field": field}

        # A target the sync creates has no fields yet: each mapped field is new.
        new = {"new": True} if target.get("create") else {}

        data = self.call(
            "POST",
            "/api/syncs",
            {
                "name": "bench users",
                "mode": "updateOrCreate",
                "active": True,
                "schedule": {"frequency": "manual"},
                "target": target,
                "fields": [{"source": source(f), "target": f, **new} for f in FIELDS],
                "identities": {
                    "mappings": [{"source": source("id"), "target": "id", "function": "Equality"}]
                },
            },
        )
        return str(data["id"])

    def run(self, sync_id: str, rows: int, timeout: float) -> Measurement:
        """Start an execution, wait for it; wall time, peak RSS and counts.

        `BenchError` with the execution's errors unless it completed without
        record errors, or when it runs longer than `timeout` seconds.
        """
        pid = self.server.pid
        reset_peak(pid)
        idle = rss_mb(pid)
        start = time.perf_counter()
        started = self.call("POST", f"/api/syncs/{sync_id}/executions", {})
        execution_id = started["id"]
        pause = 0.01
        while True:
            execution = self.call("GET", f"/api/syncs/{sync_id}/executions/{execution_id}")
            if execution["status"] in TERMINAL:
                break
            if time.perf_counter() - start > timeout:
                raise BenchError(f"execution {execution_id} still {execution['status']}")
            time.sleep(pause)
            pause = min(pause * 1.5, 0.2)
        seconds = time.perf_counter() - start
        rss = peak_rss_mb(pid)
        counts = execution["counts"]
        if execution["status"] != "completed" or counts.get("error"):
            raise BenchError(
                f"execution {execution_id} ended {execution['status']} with counts {counts}; "
                f"errors: {execution.get('errors')}\n"
                f"console log:\n{self._console(sync_id, execution_id)}\n"
                f"server log:\n{self.server._log()}"
            )
        detail = ", ".join(
            f"{name} {counts[name]:,}" for name in ("total", "insert", "update") if counts.get(name)
        )
        return Measurement(
            seconds, rows, rss, f"{detail or 'nothing sent'}; RSS before {idle:,.0f}"
        )

    def _console(self, sync_id: str, execution_id: str) -> str:
        """The execution's console lines (the last 10 of the first 50), for a failure."""
        try:
            page = self.call(
                "GET", f"/api/syncs/{sync_id}/executions/{execution_id}/consolelog?limit=50"
            )
        except (BenchError, httpx.HTTPError) as exc:
            return f"(unavailable: {exc})"
        lines = [f"  {entry['level']}: {entry['message']}" for entry in page.get("entries", [])]
        return "\n".join(lines[-10:]) or "  (empty)"
