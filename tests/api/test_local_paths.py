"""Connections that take a local path reach only the server's local roots.

The attack these tests replay: an organization's key points a `sqlite`
connection at the server's own metadata database (or a `files` connection at
`/`, the data directory, another organization's state) and reads or writes
what belongs to the server or to other organizations.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from syncline.errors import ValidationFailed
from syncline.services.auth import Principal
from syncline.services.connections import ConnectionService
from tests.api.conftest import Org, Server
from tests.api.execution_fixtures import TERMINAL


def _create(org: Org, type_id: str, path: str) -> Any:
    body = {"name": "local", "type": type_id, "configuration": {"path": path}}
    return org.client.post("/api/connections", json=body)


def _refused(response: Any, path: str = "configuration.path") -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["key"] == "validation_error"
    assert body["metadata"]["path"] == path
    message: str = body["message"]
    return message


def _own_entries(server: Server) -> list[Path]:
    data_dir = server.settings.data_dir
    entries = [data_dir / "secret.key", data_dir / "state", data_dir / "executions", data_dir]
    if server.backend == "sqlite":
        entries.insert(0, data_dir / "syncline.db")
    return entries


def _take_over(attacker: Org, victim: Org) -> Any:
    """The takeover, step by step, with `attacker`'s key. Returns the response of the
    first step the server refused, or the key it forged for `victim`'s admin."""
    metadata = str(attacker.server.settings.data_dir / "syncline.db")
    connection = _create(attacker, "sqlite", metadata)
    if connection.status_code != 200:
        return connection
    connection_id = connection.json()["data"]["id"]
    forged = f"sl_forged_{uuid.uuid4().hex}"
    query = (
        "SELECT lower(hex(randomblob(16))) AS id, organization_id, id AS user_id,"
        f" '{hashlib.sha256(forged.encode()).hexdigest()}' AS key_hash,"
        " '2026-01-01 00:00:00.000000' AS created_at"
        f" FROM users WHERE organization_id = '{victim.id}' AND role = 'admin' LIMIT 1"
    )
    model = attacker.client.post(
        "/api/models",
        json={"name": "keys", "connection_id": connection_id, "configuration": {"query": query}},
    )
    assert model.status_code == 200, model.text
    model_id = model.json()["data"]["id"]
    columns = ("id", "organization_id", "user_id", "key_hash", "created_at")
    sync = attacker.client.post(
        "/api/syncs",
        json={
            "name": "mint",
            "mode": "create",
            "active": True,
            "schedule": {"frequency": "manual"},
            "target": {"connection_id": connection_id, "object": "main.api_keys"},
            "fields": [
                {"source": {"model_id": model_id, "field": c}, "target": c} for c in columns
            ],
            "identities": {
                "mappings": [
                    {
                        "source": {"model_id": model_id, "field": "id"},
                        "target": "id",
                        "function": "Equality",
                    }
                ]
            },
        },
    )
    assert sync.status_code == 200, sync.text
    sync_id = sync.json()["data"]["id"]
    started = attacker.client.post(f"/api/syncs/{sync_id}/executions", json={})
    assert started.status_code == 200, started.text
    execution_id = started.json()["data"]["id"]
    while True:  # the run is bounded by the test timeout
        execution = attacker.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}")
        if execution.json()["data"]["status"] in TERMINAL:
            return forged
        time.sleep(0.05)


def test_an_organizations_key_cannot_mint_an_admin_key_of_another(
    org: Org, other_org: Org, server: Server
) -> None:
    if server.backend != "sqlite":
        pytest.skip("the metadata database is a file only on the SQLite backend")
    outcome = _take_over(org, other_org)
    if isinstance(outcome, str):
        as_victim = TestClient(server.app, headers={"Authorization": f"Bearer {outcome}"})
        me = as_victim.get("/api/organization")
        pytest.fail(f"the takeover worked: {me.status_code} {me.text}")
    assert "outside the local directories" in _refused(outcome)


def test_a_sqlite_connection_cannot_open_the_metadata_database(org: Org, server: Server) -> None:
    if server.backend != "sqlite":
        pytest.skip("the metadata database is a file only on the SQLite backend")
    metadata = server.settings.data_dir / "syncline.db"
    assert metadata.is_file()
    # The first step of the takeover: a connection to the server's own database.
    # With it, a model over `main.api_keys` and a `create` sync into it minted
    # an admin key of another organization.
    message = _refused(_create(org, "sqlite", str(metadata)))
    assert "outside the local directories" in message
    assert org.client.get("/api/connections").json()["data"] == []
    # Nor through the routes that use a configuration without saving it.
    tested = org.client.post(
        "/api/connections/test", json={"type": "sqlite", "configuration": {"path": str(metadata)}}
    )
    _refused(tested)
    listed = org.client.post(
        "/api/connection_types/sqlite/parameter_values",
        json={"field": "path", "parameters": {"path": str(metadata)}},
    )
    assert listed.status_code == 422, listed.text


@pytest.mark.parametrize("type_id", ["sqlite", "files"])
def test_the_data_directorys_own_entries_are_refused(
    org: Org, server: Server, type_id: str
) -> None:
    for entry in _own_entries(server):
        _refused(_create(org, type_id, str(entry)))


def test_a_files_connection_cannot_open_system_directories(org: Org) -> None:
    for path in ("/", "/etc", "/root", "/proc/self"):
        _refused(_create(org, "files", path))


def test_state_and_record_logs_of_any_sync_are_refused(org: Org, server: Server) -> None:
    data_dir = server.settings.data_dir
    for directory in ("state", "executions"):
        (data_dir / directory / "some-sync-of-another-org").mkdir(parents=True, exist_ok=True)
        _refused(_create(org, "files", str(data_dir / directory / "some-sync-of-another-org")))


def test_the_answer_is_the_same_whether_or_not_the_path_exists(
    org: Org, server: Server, local_dir: Path
) -> None:
    existing = server.settings.data_dir / "secret.key"
    missing = server.settings.data_dir / "no-such-file.db"
    assert existing.exists()
    assert not missing.exists()
    first = _create(org, "sqlite", str(existing))
    second = _create(org, "sqlite", str(missing))
    assert first.status_code == second.status_code == 422
    assert first.json()["message"].replace(str(existing), "X") == second.json()["message"].replace(
        str(missing), "X"
    )
    assert {k: v for k, v in first.json().items() if k != "message"} == {
        k: v for k, v in second.json().items() if k != "message"
    }


def test_symlinks_and_dot_dots_are_resolved_before_the_check(
    org: Org, server: Server, local_dir: Path
) -> None:
    secret = server.settings.data_dir / "secret.key"
    link = local_dir / "innocent.db"
    link.symlink_to(secret)
    _refused(_create(org, "sqlite", str(link)))
    escape = local_dir / "export"
    escape.symlink_to(server.settings.data_dir, target_is_directory=True)
    _refused(_create(org, "files", str(escape)))
    _refused(_create(org, "files", str(escape / "state")))
    dotted = f"{local_dir}/../../{secret.relative_to(secret.anchor)}"
    _refused(_create(org, "sqlite", dotted))
    loop = local_dir / "loop"
    loop.symlink_to(loop)
    _refused(_create(org, "files", str(loop)))


def test_relative_and_home_paths_are_refused(org: Org) -> None:
    for path in ("exports", "./exports", "../exports", "~/exports", "~root/exports"):
        message = _refused(_create(org, "files", path))
        assert "absolute path" in message


def test_a_nul_byte_is_refused(org: Org, local_dir: Path) -> None:
    _refused(_create(org, "files", f"{local_dir}\x00/x"), path="configuration")


def test_paths_inside_the_roots_work(org: Org, local_dir: Path) -> None:
    database = local_dir / "warehouse.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    created = _create(org, "sqlite", str(database))
    assert created.status_code == 200, created.text
    assert created.json()["data"]["configuration"]["path"] == str(database)
    files = _create(org, "files", str(local_dir))
    assert files.status_code == 200, files.text


def test_a_missing_file_inside_the_roots_says_so(org: Org, local_dir: Path) -> None:
    response = _create(org, "sqlite", str(local_dir / "missing.db"))
    assert response.status_code == 400, response.text
    assert "does not exist" in response.json()["message"]


def test_an_update_or_a_test_cannot_move_a_connection_out(
    org: Org, server: Server, local_dir: Path
) -> None:
    created = _create(org, "files", str(local_dir)).json()["data"]
    outside = str(server.settings.data_dir / "executions")
    body = {"name": "moved", "configuration": {"path": outside}}
    _refused(org.client.put(f"/api/connections/{created['id']}", json=body))
    assert org.client.get(f"/api/connections/{created['id']}").json()["data"]["configuration"] == {
        "path": str(local_dir)
    }
    tested = org.client.post(
        "/api/connections/test",
        json={"connection_id": created["id"], "configuration": {"path": outside}},
    )
    _refused(tested)


def test_a_root_reached_through_a_symlink_is_the_resolved_root(
    org: Org, server: Server, tmp_path: Path
) -> None:
    assert server.settings.local_roots
    link = tmp_path / "roots-link"
    link.symlink_to(server.settings.local_roots[0], target_is_directory=True)
    created = _create(org, "files", str(link))
    assert created.status_code == 200, created.text


def test_a_stored_connection_outside_the_roots_is_refused_when_used(
    org: Org, server: Server, local_dir: Path
) -> None:
    created = _create(org, "files", str(local_dir)).json()["data"]
    state = server.app.state.syncline
    principal = Principal(organization_id=org.id, organization_name="", method="api_key")
    narrower = state.settings.model_copy(update={"local_roots": [local_dir.parent / "elsewhere"]})
    with pytest.raises(ValidationFailed, match="outside the local directories"):
        ConnectionService(state.store, state.box, narrower, principal).connector(created["id"])


def test_the_schema_describes_the_rule(org: Org) -> None:
    schema = org.client.get("/api/connection_types/sqlite").json()
    assert "SYNCLINE_LOCAL_ROOTS" in schema["properties"]["path"]["description"]
