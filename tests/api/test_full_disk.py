"""A full disk fails a run at once, says which file system is full, and breaks nothing.

Two ways to fill a disk: a small tmpfs holding the whole data directory
(SQLite metadata, state, record logs), where the test may mount one; and,
everywhere, a record-log part whose file is `/dev/full`, so its writes fail
with ENOSPC like any write on a full disk.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, make_url

from syncline.api.app import create_app
from syncline.services.full_disk import no_space_message
from syncline.services.runs import Outcome, Runtime, StoreHooks, run_execution
from syncline.settings import Settings
from syncline.store.db import Store
from tests.api.conftest import ADMIN_KEY, DEPLOYMENT_KEY, Server, make_org
from tests.api.execution_fixtures import Runner, copy_rows, pg

TMPFS_MB = 16
WIDE_ROWS = 80_000
"""Rows of about 300 bytes: their record logs alone outgrow the tmpfs."""


def _execution(runner: Runner, sync_id: str, execution_id: str) -> dict[str, Any]:
    response = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _downloads(runner: Runner, sync_id: str, execution_id: str, kind: str) -> list[str]:
    """The lines of one kind of record log, through its signed links."""
    base = f"/api/syncs/{sync_id}/executions/{execution_id}"
    links = runner.org.client.get(f"{base}/{kind}")
    assert links.status_code == 200, links.text
    lines: list[str] = []
    for url in links.json()["data"]["urls"]:
        download = runner.org.server.client.get(url)
        assert download.status_code == 200, download.text
        lines += download.text.splitlines()
    return lines


def test_a_run_whose_record_logs_meet_a_full_disk_fails_at_once_and_names_it(
    runner: Runner, schema: str
) -> None:
    sync_id = runner.sync()
    execution_id = runner.holding(sync_id, "queued")
    state = runner.org.server.app.state.syncline
    directory = state.settings.data_dir / "executions" / execution_id
    directory.mkdir(parents=True)
    (directory / ".inserts-000001.parquet.tmp").symlink_to("/dev/full")

    run_execution(Runtime(state.store, state.box, state.settings), execution_id)  # never raises

    execution = _execution(runner, sync_id, execution_id)
    assert execution["status"] == "failed"
    assert execution["errors"][0] == no_space_message(directory)
    assert execution["completed_at"] is not None
    # No part was shown half written, and nothing was left behind.
    assert [p for p in directory.iterdir() if p.name.startswith(".")] == []
    logs = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution_id}/logs")
    assert logs.status_code == 200
    assert logs.json()["data"]["inserts"]["count"] == 0
    # The sync is free again, and its next run sends what the failed one did not confirm.
    again = runner.run(sync_id)
    assert again["status"] == "completed", again
    assert len(copy_rows(schema)) == 499


def test_a_broken_part_left_by_an_older_version_never_makes_logs_answer_500(
    runner: Runner,
) -> None:
    sync_id = runner.sync()
    execution = runner.run(sync_id)
    directory = runner.org.server.settings.data_dir / "executions" / execution["id"]
    [inserts] = directory.glob("inserts-*.parquet")
    inserts.write_bytes(inserts.read_bytes()[:200])  # renamed into place truncated

    logs = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution['id']}/logs")

    assert logs.status_code == 200, logs.text
    assert logs.json()["data"]["inserts"]["count"] == 0
    assert logs.json()["data"]["errors"]["count"] == 1
    assert _downloads(runner, sync_id, execution["id"], "inserts") == []
    [error] = _downloads(runner, sync_id, execution["id"], "records")
    assert "p13@example.com" in error


# ------------------------------------------------------------------ a real full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A `TMPFS_MB` tmpfs mounted for this test; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("a full disk needs a small tmpfs, and this machine has no `mount` command")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "a full disk needs a small tmpfs, which this test may not mount here: "
            + (mounted.stderr.strip() or f"mount exited {mounted.returncode}")
        )
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def server_on(small_disk: Path, tmp_path: Path) -> Iterator[Server]:
    """The app with its whole data directory (SQLite metadata included) on `small_disk`."""
    local_root = tmp_path / "local"
    local_root.mkdir()
    settings = Settings(
        data_dir=small_disk / "data",
        api_key=ADMIN_KEY,
        deployment_key=DEPLOYMENT_KEY,
        scheduler=False,
        local_roots=[local_root],
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield Server(app=app, client=client, settings=settings, backend="sqlite")


def _fill(directory: Path) -> Path:
    """A file taking every byte left on `directory`'s file system."""
    filler = directory / f"filler-{uuid.uuid4().hex[:6]}"
    with pytest.raises(OSError, match="No space left") as full:
        _write_forever(filler)
    assert full.value.errno == errno.ENOSPC
    return filler


def _write_forever(path: Path) -> None:
    chunk = b"\0" * (1 << 20)
    with path.open("wb") as out:
        while True:
            out.write(chunk)
            out.flush()


def test_a_run_that_fills_the_disk_fails_at_once_and_leaves_logs_servable(
    server_on: Server, small_disk: Path, pg_config: dict[str, Any], schema: str
) -> None:
    pg(
        f'CREATE TABLE "{schema}".wide AS SELECT i AS id,'
        " 'w' || i || (SELECT string_agg(md5((i * 8 + k)::text), '')"
        " FROM generate_series(0, 7) k) AS email, i * 1.5 AS score,"
        " '2026-01-01T00:00:00Z'::timestamptz AS seen_at"
        f" FROM generate_series(1, {WIDE_ROWS}) i"
    )
    runner = Runner(make_org(server_on), pg_config, schema)
    sync_id = runner.sync(model_id=runner.model(f"{schema}.wide"))

    started = runner.start(sync_id)
    assert started.status_code == 200, started.text
    execution = runner.wait(sync_id, started.json()["data"]["id"], timeout=120)

    assert execution["status"] == "failed", execution
    [error] = execution["errors"]  # what filled up first: the record logs, the state, SQLite
    assert error.startswith(f"no space left on {small_disk} (holding {server_on.settings.data_dir}")
    assert execution["counts"]["insert"] == len(pg(f'SELECT id FROM "{schema}".people_copy'))
    executions = server_on.settings.data_dir / "executions" / execution["id"]
    assert not [p for p in executions.iterdir() if p.name.startswith(".")]
    # What the logs hold is served, with the disk still full: nothing to render into.
    filler = _fill(small_disk)
    try:
        logs = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{execution['id']}/logs")
        assert logs.status_code == 200, logs.text
        counted = logs.json()["data"]["inserts"]["count"]
        assert len(_downloads(runner, sync_id, execution["id"], "inserts")) == counted
        assert not [p for p in executions.iterdir() if p.name.startswith(".")]
    finally:
        filler.unlink()


def test_a_full_metadata_store_stops_the_run_and_names_its_file(runner: Runner) -> None:
    server = runner.org.server
    if server.backend != "sqlite":
        pytest.skip("only a SQLite metadata store is a file on this machine")
    execution_id = runner.holding(runner.sync(), "running")
    database = Path(make_url(server.settings.resolved_database_url()).database or "")
    with closing(sqlite3.connect(database)) as probe:
        pages, free, size = (
            probe.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_count", "freelist_count", "page_size")
        )
    # This runtime's connections may not grow the file: SQLite answers SQLITE_FULL,
    # "database or disk is full", as on a full disk.
    store = Store(server.settings.resolved_database_url())
    event.listen(
        store.engine, "connect", lambda conn, _: conn.execute(f"PRAGMA max_page_count = {pages}")
    )
    state = server.app.state.syncline
    hooks = StoreHooks(Runtime(store, state.box, server.settings), execution_id)
    try:
        hooks.log("info", "x" * (free + 16) * size)  # needs more pages than the file has free

        assert hooks.failure == no_space_message(database)
        assert hooks.cancelled()
    finally:
        hooks.close(Outcome("failed", [], hooks.counts))
        store.dispose()
