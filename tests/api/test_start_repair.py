"""A server's start ends only the executions whose owner is provably gone.

Several processes may share one metadata store (servers, workers, a second
`serve` started by mistake): the one that starts must leave the others'
executions alone, running or queued.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from syncline.api.app import create_app
from syncline.services.owners import Owner
from syncline.settings import Settings
from syncline.store.tables import Execution, utcnow
from tests.api.execution_fixtures import Runner
from tests.api.owner_fixtures import ended_process

KEY = "sl_start_repair_key"


def test_a_start_ends_the_runs_of_gone_owners_and_no_other(
    tmp_path: Path, pg_config: dict[str, Any], schema: str
) -> None:
    settings = Settings(data_dir=tmp_path, api_key=KEY, scheduler=False)
    beat = utcnow() - timedelta(seconds=2)
    gone = ended_process()
    app = create_app(settings)
    with _client(app) as client:
        runner = Runner(_Org(client, app), pg_config, schema)  # type: ignore[arg-type]
        of_gone, of_live, of_nobody, of_silent = (runner.sync() for _ in range(4))
        ids = {
            "gone": runner.holding(
                of_gone, "running", started_at=beat, heartbeat_at=beat, owner=gone.record()
            ),
            "live": runner.holding(
                of_live,
                "running",
                started_at=beat,
                heartbeat_at=beat,
                owner=Owner.this_process().record(),
            ),
            "queued": runner.holding(of_nobody, "queued", created_at=beat - timedelta(hours=1)),
            "silent": runner.holding(
                of_silent,
                "running",
                started_at=beat - timedelta(hours=1),
                heartbeat_at=beat - timedelta(hours=1),
            ),
        }

    app = create_app(settings)  # the restart
    with _client(app):
        store = app.state.syncline.store
        with store.session() as session:
            found = {name: session.get(Execution, id_) for name, id_ in ids.items()}

    statuses = {name: execution.status for name, execution in found.items() if execution}
    assert statuses == {
        "gone": "interrupted",
        "live": "running",
        "queued": "queued",
        "silent": "interrupted",
    }
    assert found["gone"] is not None
    assert found["gone"].completed_at == beat
    assert found["gone"].errors == [
        f"the process running it (pid {gone.pid} on host {gone.host}) stopped; "
        f"its last heartbeat was at {beat.isoformat(timespec='seconds')}"
    ]


def test_a_start_runs_what_a_gone_process_queued_and_leaves_a_live_ones_queue(
    tmp_path: Path, pg_config: dict[str, Any], schema: str
) -> None:
    settings = Settings(data_dir=tmp_path, api_key=KEY, scheduler=False, requeue_after=3600)
    app = create_app(settings)
    with _client(app) as client:
        runner = Runner(_Org(client, app), pg_config, schema)  # type: ignore[arg-type]
        of_gone, of_live = runner.sync(), runner.sync()
        orphan = runner.holding(of_gone, "queued", owner=ended_process().record())
        kept = runner.holding(of_live, "queued", owner=Owner.this_process().record())

    app = create_app(settings)  # the restart
    with _client(app) as client:
        runner.org = _Org(client, app)  # type: ignore[assignment]
        assert runner.wait(of_gone, orphan)["status"] == "completed"
        queued = client.get(f"/api/syncs/{of_live}/executions/{kept}").json()["data"]
        assert queued["status"] == "queued", queued


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {KEY}"})


class _Org:
    """What `Runner` needs of an organization: its client, id and app."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client = client
        self.id = app.state.bootstrap.organization_id
        self.server = self
        self.app = app
