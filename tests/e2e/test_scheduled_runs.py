"""A sync on an every-minute schedule runs by itself inside `syncline serve`."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import temporary_pg_schema
from tests.e2e.conftest import PATIENCE, serving

pytestmark = pytest.mark.e2e
KEY = "sl_scheduled_e2e"


def test_an_every_minute_sync_runs_by_itself(tmp_path: Path, pg_config: dict[str, Any]) -> None:
    with (
        temporary_pg_schema(
            "e2e_sched",
            "CREATE TABLE {schema}.src (id bigint PRIMARY KEY, v text)",
            "INSERT INTO {schema}.src SELECT i, 'v' || i FROM generate_series(1, 50) i",
            "CREATE TABLE {schema}.dst (id bigint PRIMARY KEY, v text)",
        ) as schema,
        serving(
            tmp_path, SYNCLINE_API_KEY=KEY, SYNCLINE_DEMO="false", SYNCLINE_SCHEDULER_INTERVAL="1"
        ) as (url, _),
    ):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        connection = api.post(
            "/api/connections",
            json={"name": "pg", "type": "postgresql", "configuration": pg_config},
        ).json()["data"]
        model = api.post(
            "/api/models",
            json={
                "name": "src",
                "connection_id": connection["id"],
                "configuration": {"table": f"{schema}.src"},
            },
        ).json()["data"]
        src = lambda f: {"model_id": model["id"], "field": f}  # noqa: E731
        sync = api.post(
            "/api/syncs",
            json={
                "name": "every minute",
                "mode": "updateOrCreate",
                "active": True,
                "schedule": {"frequency": "custom", "minute": "*"},
                "target": {"connection_id": connection["id"], "object": f"{schema}.dst"},
                "fields": [
                    {"source": src("id"), "target": "id"},
                    {"source": src("v"), "target": "v"},
                ],
                "identities": {
                    "mappings": [{"source": src("id"), "target": "id", "function": "Equality"}]
                },
            },
        )
        assert sync.status_code == 200, sync.text
        sync_id = sync.json()["data"]["id"]
        status = api.get(f"/api/syncs/{sync_id}/status").json()["data"]
        next_time = datetime.fromisoformat(status["next_execution_time"].replace("Z", "+00:00"))
        assert next_time.second == 0

        deadline = time.monotonic() + PATIENCE
        executions: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            executions = api.get(f"/api/syncs/{sync_id}/executions").json()["data"]
            if executions and executions[0]["status"] == "completed":
                break
            time.sleep(1)
        assert executions, "the scheduler never started the sync"
        assert executions[0]["type"] == "scheduled"
        assert executions[0]["status"] == "completed", executions[0]
        assert executions[0]["counts"]["insert"] == 50
