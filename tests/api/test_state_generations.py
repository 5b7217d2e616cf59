"""The metadata store records each sync's state generation, and runs go on only from it.

A run whose data dir lacks the recorded state (as on a worker that does not
share the data dir, simulated here by moving the state away) fails sending
nothing; a resync starts a new generation; only the execution holding the
sync's run slot uses the state. Real PostgreSQL targets, both metadata stores.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from syncline.engine.canonical import VERSION as HASH_VERSION
from syncline.services.runs import Runtime, run_execution
from syncline.store.tables import Execution, SyncState
from tests.api.execution_fixtures import Runner, pg


def _state_dir(runner: Runner, sync_id: str) -> Path:
    data_dir: Path = runner.org.server.settings.data_dir
    return data_dir / "state" / sync_id


def _recorded(runner: Runner, sync_id: str) -> tuple[Any, ...] | None:
    store = runner.org.server.app.state.syncline.store
    with store.session() as session:
        state = session.get(SyncState, sync_id)
        if state is None:
            return None
        return state.generation, state.execution_id, state.hash_version


def _append_sync(runner: Runner, schema: str) -> str:
    """An append sync of the 500 people into `people_log`, a table without a key."""
    pg(
        f'CREATE TABLE "{schema}".people_log (id bigint, email text, score numeric(10,2),'
        " seen_at timestamptz)"
    )
    target = {"connection_id": runner.connection_id, "object": f"{schema}.people_log"}
    return runner.sync("append", target=target)


def _logged(schema: str) -> tuple[int, int]:
    rows = pg(f'SELECT count(*), count(DISTINCT id) FROM "{schema}".people_log')
    return rows[0][0], rows[0][1]


def test_a_sync_s_first_run_records_generation_1(runner: Runner, schema: str) -> None:
    sync_id = runner.sync()
    assert _recorded(runner, sync_id) is None

    first = runner.run(sync_id)

    assert first["status"] == "completed", first
    assert _recorded(runner, sync_id) == (1, first["id"], HASH_VERSION)
    second = runner.run(sync_id)
    assert _recorded(runner, sync_id) == (2, second["id"], HASH_VERSION)


def test_a_run_whose_data_dir_lacks_the_state_fails_saying_so_and_sends_nothing(
    runner: Runner, schema: str, tmp_path: Path
) -> None:
    sync_id = _append_sync(runner, schema)
    first = runner.run(sync_id)
    assert first["status"] == "completed", first
    assert _logged(schema) == (500, 500)
    state = _state_dir(runner, sync_id)
    shutil.move(state, tmp_path / "elsewhere")  # a worker whose data dir is another

    second = runner.run(sync_id)

    assert second["status"] == "failed", second
    [error] = second["errors"]
    assert f"is not in {state}: there is no such directory" in error
    assert "SYNCLINE_DATA_DIR must name a directory they all share" in error
    assert "run a resync" in error
    assert second["counts"]["total"] == 0
    assert _logged(schema) == (500, 500)
    assert _recorded(runner, sync_id) == (1, first["id"], HASH_VERSION)


def test_a_resync_starts_a_new_generation_and_the_runs_after_it_go_on(
    runner: Runner, schema: str, tmp_path: Path
) -> None:
    sync_id = runner.sync()
    first = runner.run(sync_id)
    state = _state_dir(runner, sync_id)
    stale = tmp_path / "stale"
    shutil.move(state, stale)
    assert runner.run(sync_id)["status"] == "failed"

    resync = runner.run(sync_id, resync=True)

    assert resync["status"] == "completed", resync
    assert resync["counts"]["update"] == 499  # every record sent again (p13 is refused)
    assert _recorded(runner, sync_id) == (3, resync["id"], HASH_VERSION)
    after = runner.run(sync_id)
    assert after["status"] == "completed", after
    assert after["counts"]["total"] == 1  # only p13, the record the target refuses
    assert _recorded(runner, sync_id) == (4, after["id"], HASH_VERSION)
    # The old state, put back, is now an old generation: it is not taken up.
    shutil.rmtree(state)
    shutil.move(stale, state)
    old = runner.run(sync_id)
    assert old["status"] == "failed", old
    assert f"it holds generation 1 (left by execution {first['id']})" in old["errors"][0]


def test_an_execution_that_does_not_hold_the_run_slot_does_not_touch_the_state(
    runner: Runner, schema: str
) -> None:
    sync_id = _append_sync(runner, schema)
    assert runner.run(sync_id)["status"] == "completed"
    state = _state_dir(runner, sync_id)
    marked = (state / "generation.json").read_bytes()
    runner.holding(sync_id, "queued")  # the slot is another execution's
    server = runner.org.server
    store = server.app.state.syncline.store
    with store.session() as session:
        intruder = Execution(
            organization_id=runner.org.id,
            sync_id=sync_id,
            status="queued",
            type="manual",
            options={"resync": True},
            counts={},
            errors=[],
        )
        session.add(intruder)
        session.flush()
        intruder_id = intruder.id

    run_execution(Runtime(store, server.app.state.syncline.box, server.settings), intruder_id)

    ended = runner.org.client.get(f"/api/syncs/{sync_id}/executions/{intruder_id}").json()
    assert ended["data"]["status"] == "failed", ended
    assert "does not hold its sync's run slot" in ended["data"]["errors"][0]
    assert _logged(schema) == (500, 500)
    assert (state / "generation.json").read_bytes() == marked
