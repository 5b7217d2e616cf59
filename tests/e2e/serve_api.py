"""The HTTP API of one `syncline serve` subprocess, for tests that kill and restart it."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.e2e.conftest import API_KEY, PATIENCE

ENDED = ("completed", "failed", "canceled", "interrupted")


class ServeApi:
    """Calls to a server at `url` with the e2e admin key; every answer must be a success."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        )

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to `path`; the created object."""
        response = self.client.post(path, json=body)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()["data"]
        return created

    def start(self, sync_id: str) -> str:
        """Start a run; while a killed server's run is still held (409), try again."""
        deadline = time.monotonic() + PATIENCE
        while True:
            response = self.client.post(f"/api/syncs/{sync_id}/executions")
            if response.status_code == 200:
                started: str = response.json()["data"]["id"]
                return started
            assert response.status_code == 409, response.text
            assert time.monotonic() < deadline, response.text
            time.sleep(0.1)

    def execution(self, sync_id: str, execution_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def finished(self, sync_id: str, execution_id: str) -> dict[str, Any]:
        """The execution once it ended (polled; a bound of `PATIENCE`)."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            execution = self.execution(sync_id, execution_id)
            if execution["status"] in ENDED:
                return execution
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} did not end within {PATIENCE} s")

    def close(self) -> None:
        self.client.close()
