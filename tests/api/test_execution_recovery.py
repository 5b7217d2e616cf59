"""A server stopped during a run: the execution ends `interrupted`, the next run repairs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from syncline.api.app import create_app
from syncline.settings import Settings
from tests.api.execution_fixtures import Runner, copy_rows, pg, source_rows

KEY = "sl_recovery_key"


def _org_client(app: Any) -> Any:
    return TestClient(app, headers={"Authorization": f"Bearer {KEY}"})


def test_a_restart_marks_the_run_interrupted_and_the_next_run_repairs(
    tmp_path: Path, pg_config: dict[str, Any], schema: str
) -> None:
    pg(
        f"INSERT INTO \"{schema}\".people SELECT i, 'r' || i, 0, NULL"
        " FROM generate_series(1000, 300000) i"
    )
    settings = Settings(data_dir=tmp_path, api_key=KEY, batch_size=2_000)
    app = create_app(settings)
    with TestClient(app):
        org = _FakeOrg(_org_client(app))
        runner = Runner(org, pg_config, schema)  # type: ignore[arg-type]
        sync_id = runner.sync()
        execution_id = runner.start(sync_id).json()["data"]["id"]
        time.sleep(0.5)
    # The app has shut down in the middle of the run.
    app = create_app(settings)
    with TestClient(app):
        org = _FakeOrg(_org_client(app))
        execution = org.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}").json()
        assert execution["data"]["status"] == "interrupted"
        runner.org = org  # type: ignore[assignment]
        again = runner.run(sync_id)
        assert again["status"] == "completed", again
    expected = [row for row in source_rows(schema) if row[0] != 13]
    assert copy_rows(schema) == expected


class _FakeOrg:
    def __init__(self, client: Any) -> None:
        self.client = client
